//! After a sale: the buyer's licence certificate, and the public page where
//! anyone checks who owns a copyright ID.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::components::alerts::ErrorAlert;
#[cfg(feature = "ssr")]
use crate::pages::request;
use domain::error::AppError;
use domain::rights::{Certificate, LICENCE_TERMS, Verification};
#[cfg(feature = "ssr")]
use services::rights;

/// The certificate of piece `piece_id`, for its buyer only.
#[server(endpoint = "certificate")]
pub async fn get_certificate(piece_id: i64) -> Result<Certificate, AppError> {
    let viewer = request::signed_in().await?;
    rights::certificate(&request::context().db, viewer, piece_id).await
}

/// Who owns copyright ID `copyright_id`, for anyone.
#[server(endpoint = "verify")]
pub async fn verify_copyright(copyright_id: String) -> Result<Verification, AppError> {
    rights::verify(&request::context().db, &copyright_id).await
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
        meter,
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
            <dd>{crate::components::player::clock(seconds)}</dd>
            <dt>"Key and tempo"</dt>
            <dd>{format!(
                "{}, {}",
                key_name.unwrap_or_else(|| "—".into()),
                domain::compose::tempo_label(u32::try_from(tempo_bpm).unwrap_or_default(), meter),
            )}</dd>
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

/// The certificate's facts, and nothing from which the music can be copied
/// or the piece found.
#[component]
fn Verified(verification: Verification) -> impl IntoView {
    let Verification {
        copyright_id,
        owner,
        date,
        title,
        instrument,
        seconds,
    } = verification;
    let description = format!("{copyright_id}: the exclusive rights to {title} belong to {owner}.");
    view! {
        <Title text=format!("Copyright ID {copyright_id} · MixTape") />
        <Meta name="description" content=description />
        <h1>{format!("Copyright ID {copyright_id}")}</h1>
        <p class="notice" role="status">
            {format!("Verified: the exclusive rights to {title} belong to {owner}, since {date}.")}
        </p>
        <dl class="piece-facts">
            <dt>"Copyright ID"</dt>
            <dd>{copyright_id.clone()}</dd>
            <dt>"Title"</dt>
            <dd>{title.clone()}</dd>
            <dt>"Instrument"</dt>
            <dd>{instrument}</dd>
            <dt>"Length"</dt>
            <dd>{crate::components::player::clock(seconds)}</dd>
            <dt>"Date of sale"</dt>
            <dd>{date.clone()}</dd>
            <dt>"Licensee"</dt>
            <dd>{owner.clone()}</dd>
        </dl>
        <p class="hint">"Only the licensee can hear or download the piece."</p>
    }
}
