//! After a sale: the buyer's licence certificate, and who owns a copyright ID.

use sea_orm::DatabaseConnection;

use crate::{accounts, sales};
use domain::copyright_id::{CopyrightId, MalformedId};
use domain::error::AppError;
use domain::price::Price;
use domain::rights::{Certificate, Verification};

/// A Unix time as a date such as `26 November 2026` (UTC).
fn date(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map_or_else(String::new, |d| d.format("%-d %B %Y").to_string())
}

/// The certificate of piece `piece_id`, for its buyer `viewer` only.
pub async fn certificate(
    db: &DatabaseConnection,
    viewer: Option<i64>,
    piece_id: i64,
) -> Result<Certificate, AppError> {
    let (piece, sale) = sales::bought(db, viewer, piece_id).await?;
    let owner = match sale.licensee.clone() {
        Some(licensee) => licensee,
        None => accounts::find(db, sale.buyer_id)
            .await?
            .map_or_else(String::new, |user| user.display_name),
    };
    Ok(Certificate {
        copyright_id: sale.copyright_id,
        owner,
        piece_id,
        title: piece.title(),
        seconds: piece.seconds,
        key_name: piece.key_name,
        tempo_bpm: piece.tempo_bpm,
        meter: piece.meter.parse().unwrap_or_default(),
        date: date(sale.paid_at.unwrap_or(sale.reserved_at)),
        price: Price {
            minor: sale.price_minor,
            currency: sale.currency,
        }
        .to_string(),
        licence_version: sale.licence_version,
    })
}

/// Who owns copyright ID `copyright_id` (as written), for anyone: the
/// certificate's facts, and nothing that plays or finds the piece.
pub async fn verify(db: &DatabaseConnection, copyright_id: &str) -> Result<Verification, AppError> {
    let id: CopyrightId = copyright_id
        .parse()
        .map_err(|err: MalformedId| AppError::NotFound(err.to_string()))?;
    let (sale, piece, owner) = sales::by_copyright_id(db, &id).await?.ok_or_else(|| {
        AppError::NotFound(format!(
            "No piece has the copyright ID {id}. Check it against the certificate."
        ))
    })?;
    Ok(Verification {
        copyright_id: sale.copyright_id,
        owner,
        date: date(sale.paid_at.unwrap_or(sale.reserved_at)),
        title: piece.title(),
        instrument: models::Instrument::from_id(&piece.instrument)
            .map_or(piece.instrument.clone(), |i| i.display_name().to_owned()),
        seconds: piece.seconds,
    })
}
