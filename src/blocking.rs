//! Work moved off the async workers onto actix's blocking pool, still
//! inside the request's tracing span: a log line written by a database
//! query or a spreadsheet read carries the request id and route of the
//! request that asked for it, as one written by its handler does.

use crate::error::AppError;

/// Runs `work` on the blocking pool inside the caller's current span.
pub async fn run<T, F>(work: F) -> Result<T, AppError>
where
    F: FnOnce() -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let span = tracing::Span::current();
    actix_web::web::block(move || span.in_scope(work))
        .await
        .map_err(|e| AppError::internal("blocking task failed", e))?
}

#[cfg(test)]
mod tests {
    use std::sync::{Mutex, OnceLock};

    use tracing::span::{Attributes, Id};
    use tracing::{Instrument, Subscriber};
    use tracing_subscriber::layer::{Context, SubscriberExt};
    use tracing_subscriber::registry::LookupSpan;
    use tracing_subscriber::Layer;

    /// For each event named `probe`, the name of the span it was inside.
    static SEEN: Mutex<Vec<Option<String>>> = Mutex::new(Vec::new());

    struct Probe;

    impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Probe {
        fn on_new_span(&self, _: &Attributes<'_>, _: &Id, _: Context<'_, S>) {}

        fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
            if event.metadata().target() != "blocking_probe" {
                return;
            }
            let span = ctx.event_span(event).map(|s| s.name().to_owned());
            if let Ok(mut seen) = SEEN.lock() {
                seen.push(span);
            }
        }
    }

    /// The subscriber must be global: the blocking pool's threads do not
    /// see a thread-local default.
    fn install() {
        static ONCE: OnceLock<()> = OnceLock::new();
        ONCE.get_or_init(|| {
            let subscriber = tracing_subscriber::registry().with(Probe);
            // Another test binary's subscriber cannot be set here; a
            // failure leaves the assertion below to fail loudly.
            let _ = tracing::subscriber::set_global_default(subscriber);
        });
    }

    #[actix_web::test]
    async fn work_on_the_blocking_pool_stays_in_the_request_span() {
        install();
        let span = tracing::info_span!("request_under_test");
        let on = std::thread::current().id();
        let ran_on = super::run(|| {
            tracing::info!(target: "blocking_probe", "inside");
            Ok(std::thread::current().id())
        })
        .instrument(span)
        .await
        .unwrap();
        assert_ne!(ran_on, on, "the work ran on another thread");
        let seen = SEEN.lock().unwrap().clone();
        assert_eq!(seen, vec![Some("request_under_test".to_owned())]);
    }
}
