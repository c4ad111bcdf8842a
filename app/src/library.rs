//! The library: the pieces of whoever is browsing, newest first, in pages.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::error::ErrorAlert;
use crate::meta::PageMeta;
use crate::player::clock;

/// One piece in the library's list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PieceSummary {
    /// Its id.
    pub id: i64,
    /// Its title, such as `Piano piece No. 12`.
    pub title: String,
    /// Length in seconds.
    pub seconds: f64,
    /// Its key, such as `D minor`.
    pub key_name: Option<String>,
    /// Whether its rights are sold (or being paid for): it can no longer be deleted.
    pub sold: bool,
}

/// A piece the browsing person bought.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Purchase {
    /// The piece's id.
    pub piece_id: i64,
    /// Its title.
    pub title: String,
    /// The copyright ID of the sale.
    pub copyright_id: String,
}

/// A page of the library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LibraryPage {
    /// The pieces on this page, newest first.
    pub pieces: Vec<PieceSummary>,
    /// This page's number, from 1.
    pub page: u64,
    /// How many pages there are (at least 1).
    pub pages: u64,
    /// Whether the browser is signed in (a visitor's pieces live in the session).
    pub signed_in: bool,
    /// What the signed-in person bought, newest first.
    pub purchases: Vec<Purchase>,
}

/// The browsing person's pieces, newest first, page `page` (from 1).
#[server(endpoint = "my_pieces")]
pub async fn my_pieces(page: u64) -> Result<LibraryPage, AppError> {
    ssr::my_pieces(page.max(1)).await
}

/// Deletes one of the browsing person's pieces, unless it is sold.
#[server(endpoint = "delete_piece")]
pub async fn delete_piece(id: i64) -> Result<(), AppError> {
    ssr::delete_piece(id).await
}

#[cfg(feature = "ssr")]
mod ssr {
    use sea_orm::{
        ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
        QueryOrder, QuerySelect,
    };

    use super::{LibraryPage, PieceSummary, Purchase};
    use crate::AppError;
    use crate::account::ssr::{Owner, owner};
    use crate::ssr::{internal, piece_table, sale_table, server_context};

    /// The paid purchases of account `buyer`, newest first.
    async fn purchases(db: &DatabaseConnection, buyer: i64) -> Result<Vec<Purchase>, DbErr> {
        let sales = sale_table::Entity::find()
            .filter(sale_table::Column::BuyerId.eq(buyer))
            .filter(sale_table::Column::Status.eq(sale_table::Status::Paid))
            .order_by_desc(sale_table::Column::PaidAt)
            .find_also_related(piece_table::Entity)
            .all(db)
            .await?;
        Ok(sales
            .into_iter()
            .filter_map(|(sale, piece)| {
                let piece = piece?;
                Some(Purchase {
                    piece_id: piece.id,
                    title: piece_table::title(&piece.instrument, piece.id),
                    copyright_id: sale.copyright_id,
                })
            })
            .collect())
    }

    /// Pieces per page of the library.
    const PAGE_SIZE: u64 = 20;

    pub async fn my_pieces(page: u64) -> Result<LibraryPage, AppError> {
        let Some(owner) = owner(false).await? else {
            return Ok(LibraryPage {
                pieces: Vec::new(),
                page: 1,
                pages: 1,
                signed_in: false,
                purchases: Vec::new(),
            });
        };
        let failed =
            |err: sea_orm::DbErr| internal("Your library cannot be shown right now.", &err);
        let db = server_context().db;
        let query = piece_table::Entity::find().filter(owner.pieces());
        let count = query.clone().count(&db).await.map_err(failed)?;
        let pages = count.div_ceil(PAGE_SIZE).max(1);
        let rows = query
            .select_only()
            .columns([
                piece_table::Column::Id,
                piece_table::Column::Instrument,
                piece_table::Column::Seconds,
                piece_table::Column::KeyName,
            ])
            .order_by_desc(piece_table::Column::Id)
            .offset((page.min(pages) - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
            .into_tuple::<(i64, String, f64, Option<String>)>()
            .all(&db)
            .await
            .map_err(failed)?;
        let sold: Vec<i64> = sale_table::Entity::find()
            .filter(sale_table::Column::PieceId.is_in(rows.iter().map(|row| row.0)))
            .select_only()
            .column(sale_table::Column::PieceId)
            .into_tuple()
            .all(&db)
            .await
            .map_err(failed)?;
        let purchases = match owner {
            Owner::User(id) => purchases(&db, id).await.map_err(failed)?,
            Owner::Visitor(_) => Vec::new(),
        };
        Ok(LibraryPage {
            pieces: rows
                .into_iter()
                .map(|(id, instrument, seconds, key_name)| PieceSummary {
                    id,
                    title: piece_table::title(&instrument, id),
                    seconds,
                    key_name,
                    sold: sold.contains(&id),
                })
                .collect(),
            page: page.min(pages),
            pages,
            signed_in: matches!(owner, Owner::User(_)),
            purchases,
        })
    }

    pub async fn delete_piece(id: i64) -> Result<(), AppError> {
        // Another person's piece, or none: the same answer, so ids reveal nothing.
        let not_yours = || AppError::NotFound("There is no such piece in your library.".into());
        let owner = owner(false).await?.ok_or_else(not_yours)?;
        let sold = || {
            AppError::Conflict(
                "A sold piece cannot be deleted: its rights belong to its buyer.".into(),
            )
        };
        let db = server_context().db;
        let sale = crate::ssr::sales::sale_of(&db, id)
            .await
            .map_err(|err| internal("The piece could not be deleted. Please try again.", &err))?;
        if sale.is_some() {
            return Err(sold());
        }
        // A sale made since is still refused, by the sales table's foreign key.
        let deleted = piece_table::Entity::delete_many()
            .filter(owner.pieces())
            .filter(sea_orm::ColumnTrait::eq(&piece_table::Column::Id, id))
            .exec(&db)
            .await
            .map_err(|err| match err.sql_err() {
                Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => sold(),
                _ => internal("The piece could not be deleted. Please try again.", &err),
            })?;
        if deleted.rows_affected == 0 {
            return Err(not_yours());
        }
        Ok(())
    }
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
fn PieceList(library: LibraryPage, delete: ServerAction<DeletePiece>) -> impl IntoView {
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
    let LibraryPage {
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
