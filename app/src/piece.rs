//! A piece's page: what it is, how it was made, and the player.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::error::ErrorAlert;
use crate::instruments::{ComposeSettings, ComposingStatus, MoreLikeThis};
use crate::player::{Player, RollNote};

/// A stored piece as its page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PieceView {
    /// Its id, in its address.
    pub id: i64,
    /// Its title, such as `Piano piece No. 12`.
    pub title: String,
    /// The instrument's name.
    pub instrument: String,
    /// Length in seconds.
    pub seconds: f64,
    /// Tempo in beats per minute.
    pub tempo_bpm: i32,
    /// The key it is in, such as `D minor`.
    pub key_name: Option<String>,
    /// Creativity (sampling temperature).
    pub creativity: f64,
    /// The seed that composes it again with the same settings.
    pub seed: i64,
    /// The model that composed it.
    pub model_version: String,
    /// The settings it was composed with, to compose again from.
    pub settings: ComposeSettings,
    /// Whether its rights can be bought, and by whom they were.
    pub sale: SaleState,
    /// Its notes, for the piano roll.
    pub notes: Vec<RollNote>,
}

/// A piece's exclusive rights, as the person looking sees them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SaleState {
    /// Nobody has bought it; this is the price.
    ForSale(String),
    /// Someone's payment is going through right now.
    Pending,
    /// The person looking bought it, under this copyright ID.
    Yours(String),
    /// Someone else bought it, under this copyright ID.
    Sold(String),
}

impl PieceView {
    /// The address of its preview audio.
    pub fn preview_url(&self) -> String {
        format!("/pieces/{}/preview.ogg", self.id)
    }
}

/// The piece with this id, or a not-found error.
#[server(endpoint = "piece")]
pub async fn get_piece(id: i64) -> Result<PieceView, AppError> {
    ssr::load(id).await
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::PieceView;
    use super::SaleState;
    use crate::AppError;
    use crate::account::ssr::signed_in;
    use crate::instruments::ComposeSettings;
    use crate::player::RollNote;
    use crate::ssr::sale_table::Status;
    use crate::ssr::{find_piece, internal, sales, server_context};

    pub async fn load(id: i64) -> Result<PieceView, AppError> {
        let context = server_context();
        let failed = |err: sea_orm::DbErr| internal("This piece cannot be shown right now.", &err);
        let row = find_piece(&context.db, id).await?;
        let viewer = signed_in().await?;
        let sale = match sales::sale_of(&context.db, id).await.map_err(failed)? {
            None => SaleState::ForSale(context.price.to_string()),
            Some(sale) if sale.status != Status::Paid => SaleState::Pending,
            Some(sale) if Some(sale.buyer_id) == viewer => SaleState::Yours(sale.copyright_id),
            Some(sale) => SaleState::Sold(sale.copyright_id),
        };
        let music = models::music::midi::read(&row.midi)
            .map_err(|err| internal("This piece's music cannot be read.", &err))?;
        let notes = music
            .notes
            .iter()
            .map(|note| RollNote {
                start: music.seconds_at(note.onset),
                end: music.seconds_at(note.onset + note.duration),
                pitch: note.pitch,
                velocity: note.velocity,
            })
            .collect();
        let settings = ComposeSettings::of_piece(&row);
        let instrument = models::Instrument::from_id(&row.instrument)
            .map_or(row.instrument.clone(), |i| i.display_name().to_owned());
        Ok(PieceView {
            id: row.id,
            title: row.title(),
            instrument,
            seconds: row.seconds,
            tempo_bpm: row.tempo_bpm,
            key_name: row.key_name,
            creativity: row.creativity,
            seed: row.seed,
            settings,
            sale,
            model_version: row.model_version,
            notes,
        })
    }
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
        piece.tempo_bpm,
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
        <Player src=piece.preview_url() seconds=piece.seconds notes=piece.notes.clone() label=title />
        <p class="hint">"This is the preview: lighter sound, and a soft chime every ten seconds. The full version is CD quality, without the chime."</p>
        <Rights id=piece.id sale=piece.sale.clone() />
        <dl class="piece-facts">
            <dt>"Length"</dt>
            <dd>{crate::player::clock(piece.seconds)}</dd>
            <dt>"Tempo"</dt>
            <dd>{format!("{} BPM", piece.tempo_bpm)}</dd>
            <dt>"Key"</dt>
            <dd>{piece.key_name.clone().unwrap_or_else(|| "—".into())}</dd>
            <dt>"Creativity"</dt>
            <dd>{format!("{:.2}", piece.creativity)}</dd>
            <dt>"Seed"</dt>
            <dd>{piece.seed}</dd>
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
        SaleState::Pending => view! {
            <p role="status">"Someone is paying for this piece right now."</p>
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
        SaleState::Sold(copyright_id) => view! {
            <p role="status">
                <strong>"Sold."</strong>
                " Its exclusive rights belong to another customer (copyright ID "
                <A href=format!("/verify/{copyright_id}")>{copyright_id.clone()}</A>
                "). You can still listen, and compose more like it."
            </p>
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
