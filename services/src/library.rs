//! The library: a person's pieces, newest first, in pages, and what they bought.

use sea_orm::DatabaseConnection;

use crate::owner::Owner;
use crate::{pieces, sales};
use domain::error::AppError;
use domain::piece::{Library, PieceSummary};

/// Page `page` (from 1) of `owner`'s library; empty for nobody.
pub async fn page(
    db: &DatabaseConnection,
    owner: Option<&Owner>,
    page: u64,
) -> Result<Library, AppError> {
    let Some(owner) = owner else {
        return Ok(Library {
            pieces: Vec::new(),
            page: 1,
            pages: 1,
            signed_in: false,
            purchases: Vec::new(),
        });
    };
    let (rows, page, pages) = pieces::page_of(db, owner, page).await?;
    let sold = sales::sold_among(db, rows.iter().map(|row| row.0)).await?;
    let purchases = match owner.user() {
        Some(buyer) => sales::purchases_of(db, buyer).await?,
        None => Vec::new(),
    };
    Ok(Library {
        pieces: rows
            .into_iter()
            .map(|(id, title, seconds, key_name)| PieceSummary {
                id,
                title,
                seconds,
                key_name,
                sold: sold.contains(&id),
            })
            .collect(),
        page,
        pages,
        signed_in: owner.user().is_some(),
        purchases,
    })
}
