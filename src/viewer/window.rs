//! The eframe app: draws each stream's latest picture in its tile (one
//! stream: the whole window), its overlay and its state; handles the keys.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use eframe::egui::{self, Align2, Color32, RichText, TextureOptions, Vec2};
use thiserror::Error;

use super::tiles::{self, Cell};
use super::{Command, ConnectionState, KEYS, Link, i420_to_rgba};

/// The overlay's background: opaque and unlike any test-pattern colour, so
/// a screenshot can find it.
pub const OVERLAY_FILL: Color32 = Color32::from_rgb(0, 0, 96);
/// How a picture that is not live is tinted.
const DIMMED: Color32 = Color32::from_gray(90);
/// The colour of a detection's box.
pub const DETECTION_STROKE: Color32 = Color32::from_rgb(255, 200, 0);
/// For how many pictures after the one it was found in a box stays,
/// fading (about a second at 30 fps), unless a newer result comes.
const DETECTION_FRAMES: u64 = 30;
/// How long a note ("saved …") stays on screen.
const NOTE_DURATION: Duration = Duration::from_secs(3);

/// The window could not be shown.
#[derive(Debug, Error)]
pub enum ViewerError {
    /// No display, no GPU or driver, or the window system refused.
    #[error("cannot open a window ({0}); run with --headless to receive without one")]
    Window(String),
}

/// Whether a window could be shown at all (an X11 or Wayland display).
pub fn display_available() -> bool {
    std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
}

/// Shows the window, a tile per link, until the user closes it or every
/// receiver has ended its run. Must run on the main thread.
pub fn run(links: Vec<Link>, title: &str) -> Result<(), ViewerError> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(title)
            .with_inner_size([640.0, 480.0]),
        ..Default::default()
    };
    let app_links = links.clone();
    let result = eframe::run_native(
        title,
        options,
        Box::new(move |cc| {
            for link in &app_links {
                link.attach(&cc.egui_ctx);
            }
            Ok(Box::new(ViewerApp::new(app_links)))
        }),
    );
    for link in &links {
        link.close();
    }
    result.map_err(|e| ViewerError::Window(e.to_string()))
}

/// The last picture shown, kept for screenshots.
struct Picture {
    width: usize,
    height: usize,
    rgba: Vec<u8>,
}

/// One stream's place in the window.
struct Tile {
    link: Link,
    texture: Option<egui::TextureHandle>,
    picture: Option<Picture>,
    /// The sequence number of the picture shown.
    shown_seq: Option<u64>,
    /// The latest detections' frame, and the picture their boxes were
    /// first drawn on (where their fading starts).
    boxes_drawn: std::cell::Cell<Option<(u64, u64)>>,
}

impl Tile {
    /// Uploads the newest picture, if one came.
    fn take_picture(&mut self, ctx: &egui::Context, index: usize) {
        let Some(frame) = self.link.take_frame() else {
            return;
        };
        let Some(rgba) = i420_to_rgba(&frame) else {
            return;
        };
        let (width, height) = (frame.width as usize, frame.height as usize);
        self.shown_seq = Some(frame.seq.0);
        let image = egui::ColorImage::from_rgba_unmultiplied([width, height], &rgba);
        match &mut self.texture {
            Some(texture) => texture.set(image, TextureOptions::LINEAR),
            None => {
                self.texture = Some(ctx.load_texture(
                    format!("picture-{index}"),
                    image,
                    TextureOptions::LINEAR,
                ));
            }
        }
        self.picture = Some(Picture {
            width,
            height,
            rgba,
        });
    }

    fn size(&self) -> Option<(usize, usize)> {
        self.picture.as_ref().map(|p| (p.width, p.height))
    }

    fn refused(&self) -> bool {
        matches!(self.link.state(), Some(ConnectionState::Refused { .. }))
    }
}

struct ViewerApp {
    tiles: Vec<Tile>,
    /// The tile shown over the whole window, when several are open.
    focus: Option<usize>,
    sized_to: Option<(f32, f32)>,
    show_overlay: bool,
    show_detections: bool,
    show_help: bool,
    fullscreen: bool,
    note: Option<(String, Instant)>,
}

impl ViewerApp {
    fn new(links: Vec<Link>) -> Self {
        Self {
            tiles: links
                .into_iter()
                .map(|link| Tile {
                    link,
                    texture: None,
                    picture: None,
                    shown_seq: None,
                    boxes_drawn: std::cell::Cell::new(None),
                })
                .collect(),
            focus: None,
            sized_to: None,
            show_overlay: true,
            show_detections: true,
            show_help: false,
            fullscreen: false,
            note: None,
        }
    }

    /// The tile keys act on: the focused one, or the only one.
    fn current(&self) -> Option<&Tile> {
        match (self.focus, self.tiles.len()) {
            (Some(i), _) => self.tiles.get(i),
            (None, 1) => self.tiles.first(),
            _ => None,
        }
    }

    /// The window takes the size that shows every picture at its own size,
    /// once, and again when a stream's size changes.
    fn fit_window(&mut self, ctx: &egui::Context) {
        let sizes: Vec<(usize, usize)> = self.tiles.iter().filter_map(Tile::size).collect();
        let Some(size) = tiles::window_size(&sizes) else {
            return;
        };
        if self.sized_to != Some(size) && !self.fullscreen {
            ctx.send_viewport_cmd(egui::ViewportCommand::InnerSize(Vec2::new(size.0, size.1)));
            self.sized_to = Some(size);
        }
    }

    fn handle_keys(&mut self, ctx: &egui::Context) {
        let pressed = |key| ctx.input(|i| i.key_pressed(key));
        if pressed(egui::Key::Tab) {
            self.show_overlay = !self.show_overlay;
        }
        if pressed(egui::Key::H) {
            self.show_help = !self.show_help;
        }
        if pressed(egui::Key::D) {
            self.show_detections = !self.show_detections;
        }
        if pressed(egui::Key::F) || pressed(egui::Key::F11) {
            self.fullscreen = !self.fullscreen;
            ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(self.fullscreen));
        }
        if self.tiles.len() > 1 {
            const NUMBERS: [egui::Key; 9] = [
                egui::Key::Num1,
                egui::Key::Num2,
                egui::Key::Num3,
                egui::Key::Num4,
                egui::Key::Num5,
                egui::Key::Num6,
                egui::Key::Num7,
                egui::Key::Num8,
                egui::Key::Num9,
            ];
            for (i, key) in NUMBERS.into_iter().enumerate() {
                if pressed(key) && i < self.tiles.len() {
                    self.focus = Some(i);
                }
            }
            if pressed(egui::Key::Num0) {
                self.focus = None;
            }
        }
        if pressed(egui::Key::P) {
            let note = match self.save_screenshot() {
                Ok(path) => format!("saved {}", path.display()),
                Err(e) => format!("screenshot failed: {e}"),
            };
            self.note = Some((note, Instant::now()));
        }
        if pressed(egui::Key::R) {
            match self.current() {
                Some(tile) => tile.link.send(Command::ToggleRecording),
                None => {
                    self.note = Some((
                        "show one camera first (1–9), then R".to_owned(),
                        Instant::now(),
                    ));
                }
            }
        }
        if pressed(egui::Key::Escape) && self.focus.is_some() {
            self.focus = None;
        } else if pressed(egui::Key::Q) || pressed(egui::Key::Escape) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    /// Writes the last picture of the current tile, at its own size, to a
    /// PNG in the current directory.
    fn save_screenshot(&self) -> Result<PathBuf, String> {
        let tile = self
            .current()
            .ok_or("show one camera first (1–9), then P")?;
        let picture = tile.picture.as_ref().ok_or("no picture yet")?;
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let path = PathBuf::from(format!("camview-{ms}.png"));
        // Written under another name and renamed when complete, so no one
        // ever sees half a picture.
        let partial = path.with_extension("png.part");
        let file = std::fs::File::create(&partial).map_err(|e| e.to_string())?;
        let (width, height) = (
            u32::try_from(picture.width).map_err(|e| e.to_string())?,
            u32::try_from(picture.height).map_err(|e| e.to_string())?,
        );
        let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
        writer
            .write_image_data(&picture.rgba)
            .map_err(|e| e.to_string())?;
        writer.finish().map_err(|e| e.to_string())?;
        std::fs::rename(&partial, &path).map_err(|e| e.to_string())?;
        Ok(path)
    }

    fn tile_ui(&self, ui: &mut egui::Ui, index: usize, rect: egui::Rect) {
        let tile = &self.tiles[index];
        let state = tile.link.state();
        ui.painter().rect_filled(rect, 0.0, Color32::BLACK);
        if let Some(texture) = &tile.texture {
            // Native aspect ratio, as large as fits, centred.
            let size = texture.size_vec2();
            let scale = (rect.width() / size.x).min(rect.height() / size.y);
            let shown = egui::Rect::from_center_size(rect.center(), size * scale);
            let tint = if state.as_ref().is_some_and(ConnectionState::dims_picture) {
                DIMMED
            } else {
                Color32::WHITE
            };
            let uv = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
            ui.painter().image(texture.id(), shown, uv, tint);
            if self.show_detections {
                Self::detections_ui(ui, tile, shown);
            }
        }
        let ctx = ui.ctx().clone();
        if self.show_overlay {
            self.overlay_ui(&ctx, index, rect);
        }
        if let Some(text) = state.as_ref().and_then(ConnectionState::banner) {
            Self::banner_ui(
                &ctx,
                egui::Id::unique(("camview-banner", index)),
                rect,
                &text,
            );
        }
    }

    /// The boxes of the latest detections, on the picture they were found
    /// in (or, when they came after it was shown, the picture shown when
    /// they came) and the pictures after it, fading; none on older
    /// pictures.
    fn detections_ui(ui: &egui::Ui, tile: &Tile, shown: egui::Rect) {
        let (Some(detections), Some(seq)) = (tile.link.detections(), tile.shown_seq) else {
            return;
        };
        let (age, drawn) = box_age(detections.seq.0, seq, tile.boxes_drawn.get());
        tile.boxes_drawn.set(drawn);
        let Some(age) = age.filter(|a| *a <= DETECTION_FRAMES) else {
            return;
        };
        let fade = 1.0 - age as f32 / (DETECTION_FRAMES + 1) as f32;
        let colour = DETECTION_STROKE.gamma_multiply(fade);
        for found in &detections.boxes {
            let [x, y, w, h] = found.rect();
            let rect = egui::Rect::from_min_size(
                shown.min + Vec2::new(x * shown.width(), y * shown.height()),
                Vec2::new(w * shown.width(), h * shown.height()),
            );
            ui.painter().rect_stroke(
                rect,
                0.0,
                egui::Stroke::new(3.0, colour),
                egui::StrokeKind::Inside,
            );
            ui.painter().text(
                rect.left_top() + Vec2::new(4.0, 4.0),
                Align2::LEFT_TOP,
                format!("{} {}", found.label_name(), found.track),
                egui::FontId::monospace(12.0),
                colour,
            );
        }
    }

    fn overlay_ui(&self, ctx: &egui::Context, index: usize, rect: egui::Rect) {
        let overlay = self.tiles[index].link.overlay();
        let several = self.tiles.len() > 1;
        egui::Area::new(egui::Id::unique(("camview-overlay", index)))
            .pivot(Align2::LEFT_BOTTOM)
            .fixed_pos(rect.left_bottom() + Vec2::new(8.0, -8.0))
            .show(ctx, |ui| {
                ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
                egui::Frame::NONE
                    .fill(OVERLAY_FILL)
                    .inner_margin(8.0)
                    .show(ui, |ui| {
                        if several {
                            ui.label(
                                RichText::new(format!("camera {}", index + 1))
                                    .monospace()
                                    .strong()
                                    .color(Color32::WHITE),
                            );
                        }
                        for line in overlay.lines() {
                            ui.label(RichText::new(line).monospace().color(Color32::WHITE));
                        }
                        ui.label(
                            RichText::new("H: keys")
                                .monospace()
                                .color(Color32::LIGHT_GRAY),
                        );
                    });
            });
    }

    fn help_ui(ctx: &egui::Context) {
        egui::Window::new("keys")
            .anchor(Align2::CENTER_CENTER, Vec2::ZERO)
            .collapsible(false)
            .resizable(false)
            .show(ctx, |ui| {
                egui::Grid::new("keys").show(ui, |ui| {
                    for (key, what) in KEYS {
                        ui.label(RichText::new(*key).monospace().strong());
                        ui.label(*what);
                        ui.end_row();
                    }
                });
            });
    }

    fn banner_ui(ctx: &egui::Context, id: egui::Id, rect: egui::Rect, text: &str) {
        egui::Area::new(id)
            .pivot(Align2::CENTER_CENTER)
            .fixed_pos(rect.center())
            .show(ctx, |ui| {
                egui::Frame::NONE
                    .fill(Color32::from_black_alpha(200))
                    .inner_margin(12.0)
                    .show(ui, |ui| {
                        ui.set_max_width(rect.width() - 16.0);
                        ui.label(RichText::new(text).size(18.0).color(Color32::WHITE))
                    });
            });
    }
}

impl eframe::App for ViewerApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        // Closes once every run has ended, unless a refusal is on screen.
        let ended = self.tiles.iter().all(|t| t.link.is_ended());
        if ended && !self.tiles.iter().any(Tile::refused) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if ctx.input(|i| i.viewport().close_requested()) {
            for tile in &self.tiles {
                tile.link.close();
            }
        }
        for (i, tile) in self.tiles.iter_mut().enumerate() {
            tile.take_picture(ctx, i);
        }
        self.fit_window(ctx);
        self.handle_keys(ctx);
        // The overlay's numbers change once a second even when no picture
        // comes (a frozen stream).
        ctx.request_repaint_after(Duration::from_millis(250));
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        let area = ui.max_rect();
        let n = self.tiles.len();
        for i in 0..n {
            let Some(Cell { x, y, w, h }) =
                tiles::cell(i, n, self.focus, area.width(), area.height())
            else {
                continue;
            };
            let rect = egui::Rect::from_min_size(area.min + Vec2::new(x, y), Vec2::new(w, h));
            self.tile_ui(ui, i, rect);
            // A click shows that camera alone, or all of them again.
            if n > 1 {
                let response = ui.interact(
                    rect,
                    egui::Id::unique(("camview-tile", i)),
                    egui::Sense::click(),
                );
                if response.clicked() {
                    self.focus = if self.focus.is_some() { None } else { Some(i) };
                }
            }
        }
        if self.show_help {
            Self::help_ui(&ctx);
        }
        let note = self
            .note
            .as_ref()
            .filter(|(_, at)| at.elapsed() < NOTE_DURATION)
            .map(|(text, _)| text.clone());
        if let Some(text) = note {
            Self::banner_ui(&ctx, egui::Id::unique("camview-note"), area, &text);
        }
    }
}

/// How many pictures ago the boxes of the detections of frame `found` were
/// first drawn, with picture `shown` on screen (`None`: not on this
/// picture, which is older than the one they were found in), and what to
/// remember for the next picture. `drawn` is what was remembered: the frame
/// of the detections drawn last and the picture they were first drawn on.
/// A slow detector's boxes (they come after their picture was shown) start
/// fading when they come, not when their picture was taken.
fn box_age(found: u64, shown: u64, drawn: Option<(u64, u64)>) -> (Option<u64>, Option<(u64, u64)>) {
    if shown < found {
        return (None, drawn);
    }
    let first = match drawn {
        Some((f, first)) if f == found => first,
        _ => shown,
    };
    (Some(shown - first), Some((found, first)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_fade_from_the_picture_they_are_first_drawn_on() {
        // Found in frame 10, come while frame 8 is shown: not on frame 8,
        // drawn from frame 10 on.
        assert_eq!(box_age(10, 8, None), (None, None));
        assert_eq!(box_age(10, 10, None), (Some(0), Some((10, 10))));
        assert_eq!(box_age(10, 13, Some((10, 10))), (Some(3), Some((10, 10))));
        // Found in frame 20, come while frame 27 is shown (a slow
        // detector): drawn fresh on 27, fading from there.
        assert_eq!(box_age(20, 27, Some((10, 10))), (Some(0), Some((20, 27))));
        assert_eq!(box_age(20, 29, Some((20, 27))), (Some(2), Some((20, 27))));
    }
}
