//! A piece's page: what it is, how it was made, and the player.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::components::alerts::ErrorAlert;
use crate::components::player::{Player, clock};
use crate::pages::instruments::{ComposingStatus, MoreLikeThis};
#[cfg(feature = "ssr")]
use crate::pages::request;
use domain::compose::ComposeSettings;
use domain::error::AppError;
use domain::piece::{PieceView, SaleState};
#[cfg(feature = "ssr")]
use services::pieces;

/// The piece with this id, or a not-found error.
#[server(endpoint = "piece")]
pub async fn get_piece(id: i64) -> Result<PieceView, AppError> {
    let context = request::context();
    let viewer = request::owner().await?;
    pieces::view(&context.db, &context.price, viewer.as_ref(), id).await
}

/// The page of one piece.
#[component]
pub fn PiecePage() -> impl IntoView {
    let params = use_params_map();
    let piece = Resource::new(
        move || params.read().get("id"),
        |id| async move {
            // Only a positive whole number names a piece; anything else is not found.
            match id
                .and_then(|id| id.parse::<i64>().ok())
                .filter(|id| *id > 0)
            {
                Some(id) => get_piece(id).await,
                None => Err(AppError::no_piece()),
            }
        },
    );

    view! {
        <section class="narrow piece-page">
            <Suspense fallback=|| view! { <p role="status">"Loading the piece…"</p> }>
                {move || Suspend::new(async move {
                    match piece.await {
                        Ok(piece) => view! { <PieceDetails piece /> }.into_any(),
                        Err(err) => view! { <PieceMissing err /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The piece's title, facts and player.
#[component]
fn PieceDetails(piece: PieceView) -> impl IntoView {
    let title = piece.title.clone();
    let description = format!(
        "An original {} piece composed by MixTape's neural network: {:.0} seconds at {} BPM{}. Listen to the preview.",
        piece.instrument.to_lowercase(),
        piece.seconds,
        piece.settings.tempo_bpm(),
        piece
            .key_name
            .as_ref()
            .map(|k| format!(" in {k}"))
            .unwrap_or_default(),
    );
    view! {
        <Title text=format!("{title} · MixTape") />
        <Meta name="description" content=description />
        <h1>{title.clone()}</h1>
        <Player src=format!("/pieces/{}/preview.ogg", piece.id) seconds=piece.seconds bar_seconds=piece.settings.bar_seconds() notes=piece.notes.clone() label=title />
        <p class="hint">"This is the preview: lighter sound, and a soft chime every ten seconds. The full version is CD quality, without the chime."</p>
        <Rights id=piece.id sale=piece.sale.clone() />
        <dl class="piece-facts">
            <dt>"Length"</dt>
            <dd>{clock(piece.seconds)}</dd>
            <dt>"Tempo"</dt>
            <dd>{domain::compose::tempo_label(piece.settings.tempo_bpm(), piece.settings.meter())}</dd>
            <dt>"Meter"</dt>
            <dd>{piece.settings.meter().name()}</dd>
            <dt>"Energy"</dt>
            <dd>{format!("{} ({})", piece.settings.energy(), piece.settings.energy().name())}</dd>
            <dt>"Key"</dt>
            <dd>{piece.key_name.clone().unwrap_or_else(|| "—".into())}</dd>
            <dt>"Creativity"</dt>
            <dd>{format!("{:.2}", piece.settings.creativity())}</dd>
            {piece.settings.seed().map(|seed| view! {
                <dt>"Seed"</dt>
                <dd>{seed}</dd>
            })}
            <dt>"Model"</dt>
            <dd><code>{piece.model_version.clone()}</code></dd>
        </dl>
        <ComposeAgain id=piece.id settings=piece.settings />
    }
}

/// The piece's rights: the price and Buy, the buyer's downloads, or that it is sold.
#[component]
fn Rights(id: i64, sale: SaleState) -> impl IntoView {
    let inner = match sale {
        SaleState::ForSale(price) => view! {
            <p>{format!("Exclusive rights: {price}. Sold once: after you, nobody can buy this piece.")}</p>
            <A href=format!("/pieces/{id}/buy") attr:class="button button-primary">"Buy exclusive rights"</A>
        }
        .into_any(),
        SaleState::TooClose => view! {
            <p role="status">
                <strong>"Not for sale."</strong>
                " Its music is too close to a piece whose exclusive rights are already sold, so nobody can buy it. Compose another piece; you can still listen to this one."
            </p>
        }
        .into_any(),
        SaleState::Pending => view! {
            <p role="status">"Your payment for this piece is going through."</p>
        }
        .into_any(),
        SaleState::Yours(copyright_id) => view! {
            <p>
                <strong>"You own this piece."</strong>
                " Copyright ID "
                <A href=format!("/verify/{copyright_id}")>{copyright_id.clone()}</A>
            </p>
            <ul class="downloads">
                <li><a href=format!("/pieces/{id}/full.wav") download class="button button-primary">"Download WAV"</a></li>
                <li><a href=format!("/pieces/{id}/piece.mid") download class="button">"Download MIDI"</a></li>
                <li><A href=format!("/pieces/{id}/certificate") attr:class="button">"Licence certificate"</A></li>
            </ul>
        }
        .into_any(),
    };
    view! { <section class="rights" aria-label="Rights">{inner}</section> }
}

/// "More like this" (same settings, new seed) and "change settings and
/// regenerate" (the form, filled in with this piece's settings).
#[component]
fn ComposeAgain(id: i64, settings: ComposeSettings) -> impl IntoView {
    let more = ServerAction::<MoreLikeThis>::new();
    let pending = more.pending();
    let error = move || {
        more.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    };
    view! {
        <div class="compose-again">
            <ActionForm action=more attr:class="inline-form">
                <input type="hidden" name="id" value=id />
                <button type="submit" class="button button-primary" disabled=move || pending.get()>
                    {move || if pending.get() { "Composing…" } else { "More like this" }}
                </button>
            </ActionForm>
            <A href=settings.form_url() attr:class="button">"Change settings and regenerate"</A>
        </div>
        <p class="hint">"More like this composes a new piece with the same settings and a new seed."</p>
        <ComposingStatus pending />
        <Show when=move || error().is_some()>
            <p class="error" role="alert">{error}</p>
        </Show>
    }
}

/// What the page says when the piece cannot be shown.
#[component]
fn PieceMissing(err: AppError) -> impl IntoView {
    let heading = match err {
        AppError::NotFound(_) => "Piece not found",
        _ => "This piece cannot be shown",
    };
    view! {
        <Title text=format!("{heading} · MixTape") />
        <h1>{heading}</h1>
        <ErrorAlert err />
        <p>
            <A href="/instruments" attr:class="button">"Compose a piece"</A>
        </p>
    }
}
