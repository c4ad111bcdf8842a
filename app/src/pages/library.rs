//! The library: the pieces of whoever is browsing, newest first, in pages.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::components::alerts::ErrorAlert;
use crate::components::meta::PageMeta;
use crate::components::player::clock;
#[cfg(feature = "ssr")]
use crate::pages::request;
use domain::error::AppError;
use domain::piece::{Library, Purchase};
#[cfg(feature = "ssr")]
use services::{library, pieces};

/// The browsing person's pieces, newest first, page `page` (from 1).
#[server(endpoint = "my_pieces")]
pub async fn my_pieces(page: u64) -> Result<Library, AppError> {
    let owner = request::owner().await?;
    library::page(&request::context().db, owner.as_ref(), page).await
}

/// Deletes one of the browsing person's pieces, unless it is sold.
#[server(endpoint = "delete_piece")]
pub async fn delete_piece(id: i64) -> Result<(), AppError> {
    let owner = request::owner().await?;
    pieces::delete(&request::context(), owner.as_ref(), id).await
}

/// The library page.
#[component]
pub fn LibraryPage() -> impl IntoView {
    let query = use_query_map();
    let delete = ServerAction::<DeletePiece>::new();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(1)
    };
    let library = Resource::new(
        move || (page(), delete.version().get()),
        |(page, _)| my_pieces(page),
    );

    view! {
        <PageMeta title="My pieces" description="The pieces you composed on MixTape." />
        <section class="narrow">
            <h1>"My pieces"</h1>
            <Transition fallback=|| view! { <p role="status">"Loading your pieces…"</p> }>
                {move || Suspend::new(async move {
                    match library.await {
                        Ok(library) => {
                            let purchases = library.purchases.clone();
                            view! {
                                <PieceList library delete />
                                <PurchaseList purchases />
                            }
                            .into_any()
                        }
                        Err(err) => view! { <ErrorAlert err class="error" /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The list of pieces with play, open and delete, and the page links.
#[component]
fn PieceList(library: Library, delete: ServerAction<DeletePiece>) -> impl IntoView {
    if library.pieces.is_empty() {
        return view! {
            <div class="empty-state" role="status">
                <h2>"No pieces yet"</h2>
                <p>"Pieces you compose appear here."</p>
                <A href="/instruments" attr:class="button button-primary">"Compose a piece"</A>
            </div>
        }
        .into_any();
    }
    let Library {
        pieces,
        page,
        pages,
        signed_in,
        ..
    } = library;
    view! {
        <Show when=move || !signed_in>
            <p class="notice">
                "These pieces are kept in this browser's session. "
                <A href="/register">"Create an account"</A>
                " or "
                <A href="/login">"log in"</A>
                " to keep them for good."
            </p>
        </Show>
        <ul class="piece-list">
            {pieces
                .into_iter()
                .map(|piece| {
                    let title = piece.title;
                    let facts = format!(
                        "{}{}",
                        clock(piece.seconds),
                        piece.key_name.map(|k| format!(" · {k}")).unwrap_or_default()
                    );
                    let (audio_label, link) = (format!("Preview of {title}"), title.clone());
                    view! {
                        <li class="piece-row">
                            <A href=format!("/pieces/{}", piece.id)>{link}</A>
                            <span class="hint">{facts}</span>
                            <audio controls preload="none" src=format!("/pieces/{}/preview.ogg", piece.id) aria-label=audio_label></audio>
                            {if piece.sold {
                                view! { <span class="badge">"Sold"</span> }.into_any()
                            } else {
                                view! { <DeleteButton id=piece.id title delete /> }.into_any()
                            }}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
        <nav class="pager" aria-label="Pages">
            <Show when=move || { page > 1 }>
                <A href=format!("/library?page={}", page - 1)>"← Newer"</A>
            </Show>
            <span>{format!("Page {page} of {pages}")}</span>
            <Show when=move || { page < pages }>
                <A href=format!("/library?page={}", page + 1)>"Older →"</A>
            </Show>
        </nav>
    }
    .into_any()
}

/// What the signed-in person bought, with their downloads.
#[component]
fn PurchaseList(purchases: Vec<Purchase>) -> impl IntoView {
    (!purchases.is_empty()).then(|| {
        view! {
            <h2 id="purchases-heading">"My purchases"</h2>
            <ul class="piece-list" aria-labelledby="purchases-heading">
                {purchases
                    .into_iter()
                    .map(|purchase| {
                        let id = purchase.piece_id;
                        view! {
                            <li class="piece-row">
                                <A href=format!("/pieces/{id}")>{purchase.title}</A>
                                <span class="hint">{purchase.copyright_id}</span>
                                <a href=format!("/pieces/{id}/full.wav") download>"WAV"</a>
                                <a href=format!("/pieces/{id}/piece.mid") download>"MIDI"</a>
                                <A href=format!("/pieces/{id}/certificate")>"Certificate"</A>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    })
}

/// Delete, then a confirmation in place: deleting cannot be undone.
#[component]
fn DeleteButton(id: i64, title: String, delete: ServerAction<DeletePiece>) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let question = format!("Delete {title} for good?");
    view! {
        <Show
            when=move || confirming.get()
            fallback=move || {
                view! {
                    <button
                        type="button"
                        class="link-button delete-button"
                        aria-label=format!("Delete {title}")
                        on:click=move |_| confirming.set(true)
                    >
                        "Delete"
                    </button>
                }
            }
        >
            <span class="confirm-delete" role="group" aria-label=question.clone()>
                <span>{question.clone()}</span>
                <button
                    type="button"
                    class="link-button delete-button"
                    on:click=move |_| {
                        delete.dispatch(DeletePiece { id });
                    }
                >
                    "Yes, delete"
                </button>
                <button type="button" class="link-button" on:click=move |_| confirming.set(false)>
                    "Keep it"
                </button>
            </span>
        </Show>
    }
}
