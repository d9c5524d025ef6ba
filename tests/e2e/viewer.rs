//! The viewer in a real window: Xvfb as the display, wgpu on Mesa's
//! lavapipe. The test takes a screenshot of the whole screen and reads the
//! burned-in frame number back from its pixels, and finds the stats overlay.
//! Fails (does not skip) when Xvfb or the screenshot tools are missing.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{Node, Running, Sender};
use camview::media::pattern;
use camview::viewer::OVERLAY_FILL;

/// A private X display for this test.
struct Display {
    _server: Running,
    name: String,
    /// The window's XDG_RUNTIME_DIR.
    runtime_dir: tempfile::TempDir,
}

impl Display {
    fn start() -> Self {
        // `-displayfd 1`: Xvfb picks a free display itself and writes its
        // number to stdout once it accepts connections; a socket file
        // alone may be a leftover or not listen yet. `-noreset`: a client
        // leaving (a screenshot) must not reset the server while the next
        // one connects.
        let mut cmd = Command::new("Xvfb");
        cmd.args([
            "-displayfd",
            "1",
            "-noreset",
            "-screen",
            "0",
            "1024x768x24",
            "-nolisten",
            "tcp",
        ]);
        let mut server = Running::spawn(cmd);
        let stdout = server.take_stdout();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let name = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(line) if line.trim().parse::<u32>().is_ok() => format!(":{}", line.trim()),
            outcome => panic!(
                "Xvfb did not start (Debian: xvfb; ci/install-deps.sh installs it): \
                 it printed {outcome:?}; log:\n{}",
                server.log()
            ),
        };
        // A client is served before a window is opened on it.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while !Command::new("xwd")
            .args(["-root", "-silent", "-display", &name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("xwd is needed (Debian: x11-apps)")
            .success()
        {
            assert!(
                std::time::Instant::now() < deadline && server.is_running(),
                "Xvfb on {name} serves no client; log:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Self {
            _server: server,
            name,
            runtime_dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Opens `camview receive` in a window on this display, viewing
    /// `sender` for `seconds`, with `cwd` as its working directory (where
    /// screenshots and recordings go).
    fn open_viewer(
        &self,
        laptop: &Node,
        camera: &Node,
        sender: &Sender,
        seconds: &str,
        cwd: &Path,
    ) -> Running {
        let mut cmd = laptop.command(&[
            "receive",
            &sender.addr,
            "--peer",
            &camera.fingerprint,
            "--duration",
            seconds,
        ]);
        cmd.env("DISPLAY", &self.name)
            .env("XDG_RUNTIME_DIR", self.runtime_dir.path())
            .current_dir(cwd);
        Running::spawn(cmd)
    }

    /// The whole screen as RGB rows (xwd, converted to binary PPM).
    fn screenshot(&self) -> (usize, usize, Vec<u8>) {
        let xwd = Command::new("xwd")
            .args(["-root", "-silent", "-display", &self.name])
            .output()
            .expect("xwd is needed (Debian: x11-apps)");
        assert!(xwd.status.success(), "xwd failed");
        let mut convert = Command::new("convert")
            .args(["xwd:-", "ppm:-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("ImageMagick's convert is needed (Debian: imagemagick)");
        {
            use std::io::Write;
            convert
                .stdin
                .take()
                .unwrap()
                .write_all(&xwd.stdout)
                .unwrap();
        }
        let ppm = convert.wait_with_output().unwrap().stdout;
        parse_ppm(&ppm)
    }
}

/// Binary PPM: "P6 <w> <h> <max>" (with `#` comments) then RGB bytes.
fn parse_ppm(ppm: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while ppm[at].is_ascii_whitespace() {
            at += 1;
        }
        if ppm[at] == b'#' {
            // A comment runs to the end of its line.
            while ppm[at] != b'\n' {
                at += 1;
            }
            continue;
        }
        let start = at;
        while !ppm[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&ppm[start..at]).into_owned());
    }
    assert_eq!(fields[0], "P6");
    let (w, h) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    (w, h, ppm[at + 1..].to_vec())
}

#[test]
fn the_window_shows_the_stream_and_its_overlay() {
    let display = Display::start();
    let work = tempfile::tempdir().unwrap();
    let (camera, laptop) = (Node::new(), Node::new());
    let sender = Sender::start(&camera, &[&laptop], &["--size", "640x480"]);
    let mut viewer = display.open_viewer(&laptop, &camera, &sender, "6", work.path());
    viewer.wait_for_verified(90, Duration::from_secs(30));

    let (width, height, rgb) = display.screenshot();
    assert_eq!((width, height), (1024, 768));
    // The window sits at the origin at the stream's size: its top-left
    // 640x480 pixels are the picture, frame number and all.
    let luma: Vec<u8> = rgb
        .chunks_exact(3)
        .map(|p| {
            ((66 * u32::from(p[0]) + 129 * u32::from(p[1]) + 25 * u32::from(p[2]) + 128) / 256 + 16)
                as u8
        })
        .collect();
    let number = pattern::read(&luma, width, 640, 480);
    assert!(
        number.is_some_and(|n| n > 0),
        "no frame number readable on screen"
    );
    // The stats overlay, in its own colour, in the picture's bottom-left.
    let overlay_pixels = (300..470)
        .flat_map(|y| (0..300).map(move |x| (y * width + x) * 3))
        .filter(|&i| rgb[i..i + 3] == [OVERLAY_FILL.r(), OVERLAY_FILL.g(), OVERLAY_FILL.b()])
        .count();
    assert!(
        overlay_pixels > 5_000,
        "no stats overlay on screen ({overlay_pixels} pixels)"
    );

    // The window closes itself when the run ends, and the run succeeds.
    assert!(
        viewer.wait(Duration::from_secs(20)).success(),
        "{}",
        viewer.log()
    );
}

/// Presses `key` in the camview window, as a user would.
fn press(display: &Display, key: &str) {
    let status = Command::new("xdotool")
        .env("DISPLAY", &display.name)
        .args([
            "search",
            "--sync",
            "--name",
            "camview",
            "windowfocus",
            "--sync",
            "key",
            key,
        ])
        .status()
        .expect("xdotool is needed (Debian: xdotool)");
    assert!(status.success(), "xdotool could not press {key}");
}

#[test]
fn keys_take_a_screenshot_and_start_and_stop_a_recording() {
    let display = Display::start();
    let work = tempfile::tempdir().unwrap();
    let (camera, laptop) = (Node::new(), Node::new());
    let sender = Sender::start(&camera, &[&laptop], &["--size", "320x240"]);
    let mut viewer = display.open_viewer(&laptop, &camera, &sender, "9", work.path());
    viewer.wait_for_verified(30, Duration::from_secs(30));

    let files = |ext: &str| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(work.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == ext))
            .collect()
    };
    press(&display, "p");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while files("png").is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let png = files("png");
    assert_eq!(png.len(), 1, "P saved no screenshot");
    // A real PNG of the picture's size: the signature, then IHDR 320x240.
    let bytes = std::fs::read(&png[0]).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&bytes[16..24], &[0, 0, 1, 64, 0, 0, 0, 240]);

    press(&display, "r");
    viewer.wait_for_line("recording to camview-", Duration::from_secs(5));
    std::thread::sleep(Duration::from_secs(2));
    press(&display, "r");
    viewer.wait_for_line("recorded to camview-", Duration::from_secs(5));
    let mkv = files("mkv");
    assert_eq!(mkv.len(), 1, "R made no recording");
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=nb_read_frames", "-of", "csv=p=0"])
        .arg(&mkv[0])
        .output()
        .expect("ffprobe is needed (Debian: ffmpeg)");
    let frames: u64 = String::from_utf8_lossy(&probe.stdout)
        .trim()
        .parse()
        .unwrap();
    assert!(
        frames >= 30,
        "the recording holds {frames} frames for two seconds"
    );

    assert!(
        viewer.wait(Duration::from_secs(20)).success(),
        "{}",
        viewer.log()
    );
}

/// The luma of the screen, for reading frame numbers.
fn luma(rgb: &[u8]) -> Vec<u8> {
    rgb.chunks_exact(3)
        .map(|p| {
            ((66 * u32::from(p[0]) + 129 * u32::from(p[1]) + 25 * u32::from(p[2]) + 128) / 256 + 16)
                as u8
        })
        .collect()
}

#[test]
fn two_cameras_share_one_window_and_a_restart_leaves_the_other_tile_alone() {
    let display = Display::start();
    let work = tempfile::tempdir().unwrap();
    let (kitchen, porch, laptop) = (Node::new(), Node::new(), Node::new());
    let size = ["--size", "320x240"];
    let a = Sender::start(&kitchen, &[&laptop], &size);
    let mut b = Sender::start(&porch, &[&laptop], &size);
    let json = work.path().join("stats.jsonl");
    let mut cmd = laptop.command(&[
        "receive",
        &a.addr,
        &b.addr,
        "--peer",
        &kitchen.fingerprint,
        "--peer",
        &porch.fingerprint,
        "--duration",
        "25",
        "--stats-json",
        json.to_str().unwrap(),
    ]);
    cmd.env("DISPLAY", &display.name)
        .env("XDG_RUNTIME_DIR", display.runtime_dir.path())
        .current_dir(work.path());
    let mut viewer = Running::spawn(cmd);

    // The window fits both 320x240 pictures side by side at their size:
    // each tile's burned-in number reads back from the screen.
    let tiles = || -> [Option<u32>; 2] {
        let (width, _, rgb) = display.screenshot();
        let luma = luma(&rgb);
        [
            pattern::read(&luma, width, 320, 240),
            pattern::read(&luma[320..], width, 320, 240),
        ]
    };
    let wait_for = |what: &str, ok: &dyn Fn([Option<u32>; 2]) -> bool| {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let read = tiles();
            if ok(read) {
                return read;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{what}: read {read:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    let first = wait_for("both tiles show their numbers", &|r| {
        r[0].is_some() && r[1].is_some()
    });

    // The porch camera restarts; the kitchen tile goes on.
    b.process.kill();
    std::thread::sleep(Duration::from_secs(2));
    let during = wait_for("the kitchen tile moves on while the porch is away", &|r| {
        r[0].is_some_and(|n| n > first[0].unwrap_or(0) + 30)
    });
    b = Sender::start_on(&porch, &b.addr, &[&laptop], &size);
    wait_for("the porch tile comes back", &|r| {
        r[1].is_some() && r[0].is_some_and(|n| n > during[0].unwrap_or(0))
    });
    assert!(
        viewer.wait(Duration::from_secs(40)).success(),
        "{}",
        viewer.log()
    );
    let porch_addr = b.addr.clone();
    drop(b);

    // Each stream reported on its own: the kitchen's undisturbed.
    let text = std::fs::read_to_string(&json).unwrap();
    let summaries: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|l| l["type"] == "summary")
        .collect();
    assert_eq!(summaries.len(), 2, "{text}");
    let of = |addr: &str| {
        summaries
            .iter()
            .find(|s| s["camera"] == addr)
            .unwrap_or_else(|| panic!("no summary for {addr}: {text}"))
    };
    let kitchen_totals = &of(&a.addr)["totals"];
    assert_eq!(kitchen_totals["reconnects"], 0, "{kitchen_totals}");
    assert_eq!(kitchen_totals["frames_missing"], 0, "{kitchen_totals}");
    assert_eq!(kitchen_totals["freezes"], 0, "{kitchen_totals}");
    assert!(of(&porch_addr)["totals"]["reconnects"].as_u64() >= Some(1));
}

#[test]
fn the_window_draws_the_cameras_detection_around_the_moving_ball() {
    let display = Display::start();
    let work = tempfile::tempdir().unwrap();
    let (camera, laptop) = (Node::new(), Node::new());
    let sender = Sender::start(&camera, &[&laptop], &crate::detect::BALL_WITH_MOTION);
    let mut viewer = display.open_viewer(&laptop, &camera, &sender, "20", work.path());
    viewer.wait_for_verified(60, Duration::from_secs(30));
    // The stats overlay's white text would read as ball: hide it.
    press(&display, "Tab");

    // The box: pixels of the detection colour in the picture (320x240 at
    // the origin); the ball: white pixels. Some screenshot must show the
    // ball inside the box drawn around it.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let (width, _, rgb) = display.screenshot();
        let pixel = |x: usize, y: usize| &rgb[(y * width + x) * 3..(y * width + x) * 3 + 3];
        let boxed: Vec<(usize, usize)> = (24..240)
            .flat_map(|y| (0..320).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let p = pixel(x, y);
                p[0] > 180 && (110..230).contains(&p[1]) && p[2] < 80
            })
            .collect();
        if boxed.len() > 40 {
            let x0 = boxed.iter().map(|p| p.0).min().unwrap();
            let x1 = boxed.iter().map(|p| p.0).max().unwrap();
            let y0 = boxed.iter().map(|p| p.1).min().unwrap();
            let y1 = boxed.iter().map(|p| p.1).max().unwrap();
            let ball_inside = (y0..=y1)
                .flat_map(|y| (x0..=x1).map(move |x| (x, y)))
                .filter(|&(x, y)| pixel(x, y).iter().all(|&c| c > 220))
                .count();
            let ball_anywhere = (24..240)
                .flat_map(|y| (0..320).map(move |x| (x, y)))
                .filter(|&(x, y)| pixel(x, y).iter().all(|&c| c > 220))
                .count();
            // Most of the ball is inside the box (it may have moved a
            // little since the picture the box was found in).
            if ball_anywhere > 20 && ball_inside * 2 > ball_anywhere {
                break;
            }
        }
        if std::time::Instant::now() >= deadline {
            // Kept for a look: what was on screen.
            let shot = std::env::temp_dir().join("camview-detect-screen.ppm");
            let mut ppm = format!("P6 {width} 768 255\n").into_bytes();
            ppm.extend_from_slice(&rgb);
            let _ = std::fs::write(&shot, ppm);
            panic!(
                "no detection box around the ball on screen ({} box pixels); screenshot in {}",
                boxed.len(),
                shot.display()
            );
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(
        viewer.wait(Duration::from_secs(30)).success(),
        "{}",
        viewer.log()
    );
}

/// The person detector on the recorded astronaut scene: the window draws
/// the camera's box where she is (its bounds on screen match where she is
/// in one of the frames she moves through, IoU ≥ 0.5).
#[test]
fn the_window_draws_the_person_the_camera_found() {
    use crate::scene::{EMPTY_BEFORE, MOVING, Scene};
    let display = Display::start();
    let work = tempfile::tempdir().unwrap();
    let (camera, laptop) = (Node::new(), Node::new());
    let sender = Sender::start(
        &camera,
        &[&laptop],
        &[
            "--source",
            "file:testdata/astronaut-320x240-10fps.h264",
            "--detect",
            "person",
            "--detect-fps",
            "10",
        ],
    );
    let mut viewer = display.open_viewer(&laptop, &camera, &sender, "20", work.path());
    viewer.wait_for_verified(5, Duration::from_secs(30));
    press(&display, "Tab");
    let scene = Scene::new(&crate::support::images_dir(), 320, 240);
    let known: Vec<camview::detect::Rect> = (EMPTY_BEFORE..EMPTY_BEFORE + MOVING)
        .filter_map(|i| scene.shot(i).person)
        .collect();

    // The box's colour, nearly unfaded (the suit's orange is far from it).
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let mut best = 0.0f32;
    while best < 0.5 {
        assert!(
            std::time::Instant::now() < deadline,
            "no box around the astronaut on screen (best IoU {best:.2}); viewer log:\n{}",
            viewer.log()
        );
        let (width, _, rgb) = display.screenshot();
        let boxed: Vec<(usize, usize)> = (0..240)
            .flat_map(|y| (0..320).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let p = &rgb[(y * width + x) * 3..][..3];
                p[0] > 235 && (190..230).contains(&p[1]) && p[2] < 50
            })
            .collect();
        if boxed.len() > 100 {
            let x0 = boxed.iter().map(|p| p.0).min().unwrap() as f32;
            let x1 = boxed.iter().map(|p| p.0).max().unwrap() as f32;
            let y0 = boxed.iter().map(|p| p.1).min().unwrap() as f32;
            let y1 = boxed.iter().map(|p| p.1).max().unwrap() as f32;
            let on_screen = camview::detect::Rect {
                x: x0 / 320.0,
                y: y0 / 240.0,
                w: (x1 - x0 + 1.0) / 320.0,
                h: (y1 - y0 + 1.0) / 240.0,
            };
            best = known.iter().map(|k| k.iou(&on_screen)).fold(best, f32::max);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        viewer.wait(Duration::from_secs(30)).success(),
        "{}",
        viewer.log()
    );
}
