//! The eframe app: draws the latest picture, the overlays and the state;
//! handles the keys.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use eframe::egui::{self, Align2, Color32, RichText, TextureOptions, Vec2};
use thiserror::Error;

use super::{Command, ConnectionState, KEYS, Link, i420_to_rgba};

/// The overlay's background: opaque and unlike any test-pattern colour, so
/// a screenshot can find it.
pub const OVERLAY_FILL: Color32 = Color32::from_rgb(0, 0, 96);
/// How a picture that is not live is tinted.
const DIMMED: Color32 = Color32::from_gray(90);
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

/// Shows the window until the user closes it or the receiver ends the run.
/// Must run on the main thread.
pub fn run(link: Link, title: &str) -> Result<(), ViewerError> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(title)
            .with_inner_size([640.0, 480.0]),
        ..Default::default()
    };
    let app_link = link.clone();
    let result = eframe::run_native(
        title,
        options,
        Box::new(move |cc| {
            app_link.attach(&cc.egui_ctx);
            Ok(Box::new(ViewerApp::new(app_link)))
        }),
    );
    link.close();
    result.map_err(|e| ViewerError::Window(e.to_string()))
}

/// The last picture shown, kept for screenshots.
struct Picture {
    width: usize,
    height: usize,
    rgba: Vec<u8>,
}

struct ViewerApp {
    link: Link,
    texture: Option<egui::TextureHandle>,
    picture: Option<Picture>,
    sized_to: Option<(usize, usize)>,
    show_overlay: bool,
    show_help: bool,
    fullscreen: bool,
    note: Option<(String, Instant)>,
}

impl ViewerApp {
    fn new(link: Link) -> Self {
        Self {
            link,
            texture: None,
            picture: None,
            sized_to: None,
            show_overlay: true,
            show_help: false,
            fullscreen: false,
            note: None,
        }
    }

    /// Uploads the newest picture, if one came.
    fn take_picture(&mut self, ctx: &egui::Context) {
        let Some(frame) = self.link.take_frame() else {
            return;
        };
        let Some(rgba) = i420_to_rgba(&frame) else {
            return;
        };
        let (width, height) = (frame.width as usize, frame.height as usize);
        let image = egui::ColorImage::from_rgba_unmultiplied([width, height], &rgba);
        match &mut self.texture {
            Some(texture) => texture.set(image, TextureOptions::LINEAR),
            None => self.texture = Some(ctx.load_texture("picture", image, TextureOptions::LINEAR)),
        }
        // The window takes the stream's size once (and again if it changes).
        if self.sized_to != Some((width, height)) && !self.fullscreen {
            ctx.send_viewport_cmd(egui::ViewportCommand::InnerSize(Vec2::new(
                width as f32,
                height as f32,
            )));
            self.sized_to = Some((width, height));
        }
        self.picture = Some(Picture {
            width,
            height,
            rgba,
        });
    }

    fn handle_keys(&mut self, ctx: &egui::Context) {
        let pressed = |key| ctx.input(|i| i.key_pressed(key));
        if pressed(egui::Key::Tab) {
            self.show_overlay = !self.show_overlay;
        }
        if pressed(egui::Key::H) {
            self.show_help = !self.show_help;
        }
        if pressed(egui::Key::F) || pressed(egui::Key::F11) {
            self.fullscreen = !self.fullscreen;
            ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(self.fullscreen));
        }
        if pressed(egui::Key::P) {
            let note = match self.save_screenshot() {
                Ok(path) => format!("saved {}", path.display()),
                Err(e) => format!("screenshot failed: {e}"),
            };
            self.note = Some((note, Instant::now()));
        }
        if pressed(egui::Key::R) {
            self.link.send(Command::ToggleRecording);
        }
        if pressed(egui::Key::Q) || pressed(egui::Key::Escape) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    /// Writes the last picture, at its own size, to a PNG in the current
    /// directory.
    fn save_screenshot(&self) -> Result<PathBuf, String> {
        let picture = self.picture.as_ref().ok_or("no picture yet")?;
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

    fn picture_ui(&self, ui: &mut egui::Ui, state: Option<&ConnectionState>) {
        let area = ui.max_rect();
        ui.painter().rect_filled(area, 0.0, Color32::BLACK);
        let Some(texture) = &self.texture else {
            return;
        };
        // Native aspect ratio, as large as fits, centred.
        let size = texture.size_vec2();
        let scale = (area.width() / size.x).min(area.height() / size.y);
        let rect = egui::Rect::from_center_size(area.center(), size * scale);
        let tint = if state.is_some_and(ConnectionState::dims_picture) {
            DIMMED
        } else {
            Color32::WHITE
        };
        let uv = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
        ui.painter().image(texture.id(), rect, uv, tint);
    }

    fn overlay_ui(&self, ctx: &egui::Context) {
        let overlay = self.link.overlay();
        egui::Area::new(egui::Id::unique("camview-overlay"))
            .anchor(Align2::LEFT_BOTTOM, Vec2::new(8.0, -8.0))
            .show(ctx, |ui| {
                ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
                egui::Frame::NONE
                    .fill(OVERLAY_FILL)
                    .inner_margin(8.0)
                    .show(ui, |ui| {
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

    fn banner_ui(ctx: &egui::Context, text: &str) {
        egui::Area::new(egui::Id::unique("camview-banner"))
            .anchor(Align2::CENTER_CENTER, Vec2::ZERO)
            .show(ctx, |ui| {
                egui::Frame::NONE
                    .fill(Color32::from_black_alpha(200))
                    .inner_margin(12.0)
                    .show(ui, |ui| {
                        ui.label(RichText::new(text).size(18.0).color(Color32::WHITE))
                    });
            });
    }
}

impl eframe::App for ViewerApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        let refused = matches!(self.link.state(), Some(ConnectionState::Refused { .. }));
        if self.link.is_ended() && !refused {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if ctx.input(|i| i.viewport().close_requested()) {
            self.link.close();
        }
        self.take_picture(ctx);
        self.handle_keys(ctx);
        // The overlay's numbers change once a second even when no picture
        // comes (a frozen stream).
        ctx.request_repaint_after(Duration::from_millis(250));
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        let state = self.link.state();
        self.picture_ui(ui, state.as_ref());
        if self.show_overlay {
            self.overlay_ui(&ctx);
        }
        if self.show_help {
            Self::help_ui(&ctx);
        }
        let note = self
            .note
            .as_ref()
            .filter(|(_, at)| at.elapsed() < NOTE_DURATION)
            .map(|(text, _)| text.clone());
        if let Some(text) = state.as_ref().and_then(ConnectionState::banner).or(note) {
            Self::banner_ui(&ctx, &text);
        }
    }
}
