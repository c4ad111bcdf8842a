//! After a sale: the buyer's licence certificate, and the public page where
//! anyone checks who owns a copyright ID.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::error::ErrorAlert;

/// The terms of licence `MT-EXCLUSIVE-1`, which every sale grants.
pub const LICENCE_TERMS: &str = "MixTape grants the owner named above the exclusive, perpetual, worldwide right to use, copy, modify, publish, broadcast and synchronise this piece with any media, commercially or not. MixTape will not sell or license this piece, or any piece with the same music, to anyone else, and uses it only to show this certificate and the piece's preview on its public verification page.";

/// A licence certificate, as its page prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certificate {
    /// The copyright ID.
    pub copyright_id: String,
    /// The owner's display or company name.
    pub owner: String,
    /// The piece's id.
    pub piece_id: i64,
    /// The piece's title.
    pub title: String,
    /// Length in seconds.
    pub seconds: f64,
    /// The key it is in.
    pub key_name: Option<String>,
    /// Tempo in beats per minute.
    pub tempo_bpm: i32,
    /// The date of the sale, written out.
    pub date: String,
    /// What was paid.
    pub price: String,
    /// The licence's version.
    pub licence_version: String,
}

/// What the verification page shows about a copyright ID.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    /// The copyright ID, as written.
    pub copyright_id: String,
    /// The owner's display or company name.
    pub owner: String,
    /// The date of the sale, written out.
    pub date: String,
    /// The piece's id.
    pub piece_id: i64,
    /// The piece's title.
    pub title: String,
}

/// The certificate of piece `piece_id`, for its buyer only.
#[server(endpoint = "certificate")]
pub async fn get_certificate(piece_id: i64) -> Result<Certificate, AppError> {
    ssr::certificate(piece_id).await
}

/// Who owns copyright ID `copyright_id`, for anyone.
#[server(endpoint = "verify")]
pub async fn verify_copyright(copyright_id: String) -> Result<Verification, AppError> {
    ssr::verify(&copyright_id).await
}

#[cfg(feature = "ssr")]
mod ssr {
    use sea_orm::EntityTrait;

    use super::{Certificate, Verification};
    use crate::AppError;
    use crate::account::ssr::signed_in;
    use crate::copyright_id::CopyrightId;
    use crate::price::Price;
    use crate::ssr::{internal, sales, server_context, user_table};

    /// A Unix time as a date such as `26 November 2026` (UTC).
    fn date(seconds: i64) -> String {
        chrono::DateTime::from_timestamp(seconds, 0)
            .map_or_else(String::new, |d| d.format("%-d %B %Y").to_string())
    }

    pub async fn certificate(piece_id: i64) -> Result<Certificate, AppError> {
        let db = server_context().db;
        let (piece, sale) = sales::bought(&db, signed_in().await?, piece_id).await?;
        let owner = user_table::Entity::find_by_id(sale.buyer_id)
            .one(&db)
            .await
            .map_err(|err| internal("The certificate cannot be shown right now.", &err))?
            .map_or_else(String::new, |user| user.display_name);
        Ok(Certificate {
            copyright_id: sale.copyright_id,
            owner,
            piece_id,
            title: piece.title(),
            seconds: piece.seconds,
            key_name: piece.key_name,
            tempo_bpm: piece.tempo_bpm,
            date: date(sale.paid_at.unwrap_or(sale.reserved_at)),
            price: Price {
                minor: sale.price_minor,
                currency: sale.currency,
            }
            .to_string(),
            licence_version: sale.licence_version,
        })
    }

    pub async fn verify(copyright_id: &str) -> Result<Verification, AppError> {
        let id: CopyrightId = copyright_id
            .parse()
            .map_err(|err: crate::copyright_id::MalformedId| AppError::NotFound(err.to_string()))?;
        let found = sales::by_copyright_id(&server_context().db, &id)
            .await
            .map_err(|err| internal("Copyright IDs cannot be checked right now.", &err))?;
        let (sale, piece, owner) = found.ok_or_else(|| {
            AppError::NotFound(format!(
                "No piece has the copyright ID {id}. Check it against the certificate."
            ))
        })?;
        Ok(Verification {
            copyright_id: sale.copyright_id,
            owner,
            date: date(sale.paid_at.unwrap_or(sale.reserved_at)),
            piece_id: piece.id,
            title: piece.title(),
        })
    }
}

/// The printable licence certificate of a piece, for its buyer.
#[component]
pub fn CertificatePage() -> impl IntoView {
    let params = use_params_map();
    let found = Resource::new(
        move || params.read().get("id"),
        |id| async move {
            match id
                .and_then(|id| id.parse::<i64>().ok())
                .filter(|id| *id > 0)
            {
                Some(id) => get_certificate(id).await,
                None => Err(AppError::no_piece()),
            }
        },
    );
    view! {
        <section class="narrow certificate">
            <Suspense fallback=|| view! { <p role="status">"Loading the certificate…"</p> }>
                {move || Suspend::new(async move {
                    match found.await {
                        Ok(certificate) => view! { <CertificateText certificate /> }.into_any(),
                        Err(err) => view! {
                            <Title text="Certificate unavailable · MixTape" />
                            <h1>"Certificate unavailable"</h1>
                            <ErrorAlert err />
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn CertificateText(certificate: Certificate) -> impl IntoView {
    let Certificate {
        copyright_id,
        owner,
        piece_id,
        title,
        seconds,
        key_name,
        tempo_bpm,
        date,
        price,
        licence_version,
    } = certificate;
    let print = move |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.print();
        }
    };
    view! {
        <Title text=format!("Licence certificate {copyright_id} · MixTape") />
        <p class="certificate-brand">"MixTape"</p>
        <h1>"Certificate of exclusive rights"</h1>
        <dl class="piece-facts">
            <dt>"Copyright ID"</dt>
            <dd><strong>{copyright_id.clone()}</strong></dd>
            <dt>"Owner"</dt>
            <dd>{owner}</dd>
            <dt>"Piece"</dt>
            <dd>{title}</dd>
            <dt>"Length"</dt>
            <dd>{crate::player::clock(seconds)}</dd>
            <dt>"Key and tempo"</dt>
            <dd>{format!("{}, {tempo_bpm} BPM", key_name.unwrap_or_else(|| "—".into()))}</dd>
            <dt>"Date of sale"</dt>
            <dd>{date}</dd>
            <dt>"Price paid"</dt>
            <dd>{price}</dd>
            <dt>"Licence"</dt>
            <dd>{licence_version}</dd>
        </dl>
        <h2>"Terms"</h2>
        <p>{LICENCE_TERMS}</p>
        <p class="hint">
            "Anyone can check this certificate at "
            <A href=format!("/verify/{copyright_id}")>{format!("/verify/{copyright_id}")}</A>
            "."
        </p>
        <p class="no-print">
            <button type="button" class="button button-primary" on:click=print>"Print"</button>
            " "
            <A href=format!("/pieces/{piece_id}") attr:class="button">"Back to the piece"</A>
        </p>
    }
}

/// The public page that says who owns a copyright ID.
#[component]
pub fn VerifyPage() -> impl IntoView {
    let params = use_params_map();
    let found = Resource::new(
        move || params.read().get("copyright_id").unwrap_or_default(),
        verify_copyright,
    );
    view! {
        <section class="narrow">
            <Suspense fallback=|| view! { <p role="status">"Checking…"</p> }>
                {move || Suspend::new(async move {
                    match found.await {
                        Ok(verification) => view! { <Verified verification /> }.into_any(),
                        Err(err) => view! {
                            <Title text="Copyright ID not found · MixTape" />
                            <h1>"Copyright ID not found"</h1>
                            <ErrorAlert err />
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Verified(verification: Verification) -> impl IntoView {
    let Verification {
        copyright_id,
        owner,
        date,
        piece_id,
        title,
    } = verification;
    let description = format!("{copyright_id}: the exclusive rights to {title} belong to {owner}.");
    view! {
        <Title text=format!("Copyright ID {copyright_id} · MixTape") />
        <Meta name="description" content=description />
        <h1>{format!("Copyright ID {copyright_id}")}</h1>
        <p class="notice" role="status">
            {format!("Verified: the exclusive rights to {title} belong to {owner}, since {date}.")}
        </p>
        <audio controls preload="none" src=format!("/pieces/{piece_id}/preview.ogg") aria-label=format!("Preview of {title}")></audio>
        <p class="hint">"This is the preview, with its chime; only the owner has the full version."</p>
    }
}
