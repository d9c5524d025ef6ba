//! Which SRTP profile a browser's session negotiated. str0m offers no API
//! for it; it logs it (`debug`, target `str0m`) while it installs the keys,
//! inside the same `poll_output` call that then reports the session
//! connected. [`profile_layer`] catches that one event and keeps the
//! profile for the thread it happened on; the session takes it when it
//! sees `Connected` ([`take_negotiated`]), before any other session can run
//! on that thread.

use std::cell::RefCell;
use std::fmt;

use tracing::field::{Field, Visit};
use tracing::{Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{LevelFilter, filter_fn};
use tracing_subscriber::layer::Context;

/// What str0m 0.25 logs, then the profile's name.
const MESSAGE: &str = "DTLS set SRTP keying material and profile: ";

thread_local! {
    static NEGOTIATED: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The tracing layer to install beside the log's (`main.rs`).
pub fn profile_layer<S>() -> impl Layer<S>
where
    S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    ProfileLayer.with_filter(
        filter_fn(|meta| meta.target() == "str0m" && *meta.level() == Level::DEBUG)
            .with_max_level_hint(LevelFilter::DEBUG),
    )
}

/// The profile negotiated on this thread since the last call, if any.
pub(super) fn take_negotiated() -> Option<String> {
    NEGOTIATED.with(|n| n.borrow_mut().take())
}

struct ProfileLayer;

impl<S: Subscriber> Layer<S> for ProfileLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        struct Message(Option<String>);
        impl Visit for Message {
            fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
                if field.name() == "message" {
                    self.0 = Some(format!("{value:?}"));
                }
            }
        }
        let mut message = Message(None);
        event.record(&mut message);
        if let Some(profile) = message.0.as_deref().and_then(|m| m.strip_prefix(MESSAGE)) {
            let profile = profile.trim().to_owned();
            NEGOTIATED.with(|n| *n.borrow_mut() = Some(profile));
        }
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    #[test]
    fn the_profile_str0m_logs_is_kept_for_the_session_on_this_thread() {
        let subscriber = tracing_subscriber::registry().with(profile_layer());
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(target: "str0m", "DTLS connected");
            assert_eq!(take_negotiated(), None);
            tracing::debug!(target: "str0m", "DTLS set SRTP keying material and profile: {}", "SRTP_AEAD_AES_256_GCM");
            assert_eq!(take_negotiated().as_deref(), Some("SRTP_AEAD_AES_256_GCM"));
            assert_eq!(take_negotiated(), None, "taken once");
        });
    }
}
