//! A piece being composed: its page shows the place in the queue, then that
//! the network is composing, and goes to the piece when it is stored.

use leptos::prelude::*;
use leptos_meta::Meta;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::components::alerts::ErrorAlert;
use crate::components::meta::PageMeta;
#[cfg(feature = "ssr")]
use crate::pages::request;
use domain::error::AppError;
use domain::generation::GenerationState;
#[cfg(feature = "ssr")]
use services::generations;

/// Where generation `id` is, for whoever asked for it.
#[server(endpoint = "generation_status")]
pub async fn generation_status(id: i64) -> Result<GenerationState, AppError> {
    let owner = request::owner().await?;
    generations::status_for(&request::context().db, owner.as_ref(), id).await
}

/// How often the page asks for news while the piece is on its way.
const POLL_EVERY: std::time::Duration = std::time::Duration::from_millis(700);

/// The page that follows a requested piece until it is stored.
#[component]
pub fn GenerationPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
            .filter(|id| *id > 0)
    };
    let status = Resource::new(id, |id| async move {
        match id {
            Some(id) => generation_status(id).await,
            None => Err(AppError::no_generation()),
        }
    });
    // In the browser: ask again while the piece is on its way, then go to it.
    Effect::new(move || {
        let handle = set_interval_with_handle(
            move || {
                if matches!(
                    status.get_untracked(),
                    Some(Ok(
                        GenerationState::Queued { .. } | GenerationState::Composing
                    ))
                ) {
                    status.refetch();
                }
            },
            POLL_EVERY,
        )
        .ok();
        on_cleanup(move || {
            if let Some(handle) = handle {
                handle.clear();
            }
        });
    });
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(Ok(GenerationState::Done { piece_id })) = status.get() {
            navigate(
                &format!("/pieces/{piece_id}"),
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });

    view! {
        <PageMeta title="Composing your piece" description="MixTape's neural network is composing an original piece." />
        <Meta name="robots" content="noindex" />
        <section class="narrow generation-page">
            <h1>"Your piece"</h1>
            <Transition fallback=|| view! { <p role="status">"Looking for your piece…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(status) => view! { <Progress status /> }.into_any(),
                        Err(err) => view! {
                            <ErrorAlert err />
                            <p><A href="/instruments" attr:class="button">"Compose a piece"</A></p>
                        }
                        .into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// What the page says about the piece now.
#[component]
fn Progress(status: GenerationState) -> impl IntoView {
    // Without scripts the page reloads itself while the piece is on its way;
    // a browser running scripts ignores what is inside <noscript>.
    let reload = r#"<noscript><meta http-equiv="refresh" content="2"></noscript>"#;
    match status {
        GenerationState::Queued { ahead } => view! {
            <div class="compose-status" role="status" aria-live="polite">
                <progress aria-label="Waiting for a composer"></progress>
                <p>{queue_words(ahead)}</p>
            </div>
            <div inner_html=reload></div>
        }
        .into_any(),
        GenerationState::Composing => view! {
            <div class="compose-status" role="status" aria-live="polite">
                <progress aria-label="Composing"></progress>
                <p>"The neural network is composing your piece…"</p>
            </div>
            <div inner_html=reload></div>
        }
        .into_any(),
        GenerationState::Done { piece_id } => {
            let piece = format!("/pieces/{piece_id}");
            #[cfg(feature = "ssr")]
            leptos_axum::redirect(&piece);
            view! {
                <p role="status">"Your piece is ready. " <A href=piece>"Listen to it"</A></p>
            }
            .into_any()
        }
        GenerationState::Failed { message, settings } => view! {
            <p role="alert">{message}</p>
            <p>
                <A href=settings.map_or_else(|| "/instruments".to_owned(), |s| s.form_url()) attr:class="button button-primary">
                    "Try again with the same settings"
                </A>
            </p>
        }
        .into_any(),
    }
}

/// The queue position in words.
fn queue_words(ahead: u64) -> String {
    match ahead {
        0 => "Next in the queue: a composer starts on your piece in a moment.".into(),
        1 => "Waiting for a composer: 1 piece is ahead of yours.".into(),
        n => format!("Waiting for a composer: {n} pieces are ahead of yours."),
    }
}

#[cfg(test)]
mod tests {
    use super::queue_words;

    #[test]
    fn the_queue_position_is_said_in_words() {
        assert!(queue_words(0).starts_with("Next in the queue"));
        assert!(queue_words(1).contains("1 piece is ahead"));
        assert!(queue_words(4).contains("4 pieces are ahead"));
    }
}
