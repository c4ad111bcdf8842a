//! Selling exclusive rights: a piece is reserved for one buyer before their
//! card is charged (the unique index on the piece, and the comparison with
//! every sold piece's music, make every other attempt fail first,
//! uncharged), then marked paid. Whatever a crash or a failure leaves half
//! done, `settlement::reconcile` completes or undoes.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    QueryOrder, Set, SqlErr,
};

use crate::owner::Owner;
use crate::payments::{Charge, Gateway};
use crate::storage::sale::{self as sales, Status};
use crate::storage::{now, piece, user};
use crate::{ServerContext, accounts, exclusivity, pieces, random_bytes, random_token};
use domain::card::{self, Card, CardForm, YearMonth};
use domain::copyright_id::CopyrightId;
use domain::error::AppError;
use domain::piece::Purchase;
use domain::rights;
use domain::rights::Checkout;
use models::music::similarity::Melody;

/// The licence every sale grants; the certificate prints its terms.
pub const LICENCE_VERSION: &str = "MT-EXCLUSIVE-1";

/// How long a double submit waits for the first attempt's outcome.
const REPLAY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

fn sold() -> AppError {
    AppError::Conflict("This piece has already been sold.".into())
}

/// The name of account `id`, as a certificate names it by default.
async fn account_name(db: &DatabaseConnection, id: i64) -> Result<String, AppError> {
    Ok(accounts::find(db, id)
        .await?
        .map_or_else(String::new, |user| user.display_name))
}

/// This month on the server's clock, to check card expiry dates.
pub fn this_month() -> YearMonth {
    use chrono::Datelike;
    let today = chrono::Utc::now();
    YearMonth {
        year: today.year(),
        month: today.month(),
    }
}

/// The answer to a checkout key that is not (or no longer) valid.
pub fn expired_checkout() -> AppError {
    AppError::Conflict("This checkout has expired. Please reload the page.".into())
}

/// Piece `piece_id`, if account `buyer` composed it (its pieces as a
/// visitor became theirs when they signed in); otherwise not found, since
/// nobody else may know of it.
async fn own_piece(
    db: &DatabaseConnection,
    buyer: i64,
    piece_id: i64,
) -> Result<piece::Model, AppError> {
    pieces::find_for(db, Some(&Owner::User(buyer)), piece_id).await
}

/// A purchase as the payment form orders it, checked.
struct Order<'a> {
    buyer: i64,
    piece_id: i64,
    key: &'a str,
    card: &'a Card,
    /// Whom the certificate names.
    licensee: &'a str,
}

/// Buys piece `piece_id` for account `buyer` with `card`, under the
/// checkout's idempotency `key`: a repeated key returns the first attempt's
/// result and never charges again.
async fn buy(context: &ServerContext, order: Order<'_>) -> Result<sales::Model, AppError> {
    let (db, gateway) = (&context.db, context.gateway.as_ref());
    let piece = own_piece(db, order.buyer, order.piece_id).await?;
    let digest = request_digest(order.piece_id, order.card, order.licensee);
    let earlier = match by_key(db, order.key).await? {
        Some(earlier) => earlier,
        None => match reserve(context, &order, &piece, &digest).await? {
            Reservation::Made(sale) => return charge(context, &order, sale).await,
            Reservation::Earlier(earlier) => earlier,
        },
    };
    replay(db, gateway, earlier, (order.buyer, order.piece_id, &digest)).await
}

/// What reserving a piece came to.
enum Reservation {
    /// A new reservation, to be paid.
    Made(sales::Model),
    /// The checkout's key already holds a sale (a repeated request).
    Earlier(sales::Model),
}

/// Reserves `piece` for `order` (`digest` names the request), unless music
/// alike is sold or reserved, or the piece is.
async fn reserve(
    context: &ServerContext,
    order: &Order<'_>,
    piece: &piece::Model,
    digest: &str,
) -> Result<Reservation, AppError> {
    let db = &context.db;
    let melody = exclusivity::melody_of(&piece.midi)?;
    loop {
        let row = sales::ActiveModel {
            piece_id: Set(piece.id),
            fingerprint: Set(piece.fingerprint.clone()),
            buyer_id: Set(order.buyer),
            copyright_id: Set(new_copyright_id().to_string()),
            status: Set(Status::Reserved),
            price_minor: Set(context.price.minor),
            currency: Set(context.price.currency.clone()),
            licence_version: Set(LICENCE_VERSION.into()),
            idempotency_key: Set(order.key.to_owned()),
            licensee: Set(Some(order.licensee.to_owned())),
            request_digest: Set(Some(digest.to_owned())),
            reserved_at: Set(now()),
            ..Default::default()
        };
        let err = match try_reserve(db, row, &melody, piece.id).await? {
            Ok(sale) => return Ok(Reservation::Made(sale)),
            Err(err) => err,
        };
        if !matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
            return Err(err.into());
        }
        if let Some(earlier) = by_key(db, order.key).await? {
            return Ok(Reservation::Earlier(earlier));
        }
        let taken = sales::Entity::find()
            .filter(
                Condition::any()
                    .add(sales::Column::PieceId.eq(piece.id))
                    .add(sales::Column::Fingerprint.eq(piece.fingerprint.as_str())),
            )
            .one(db)
            .await?;
        match taken {
            Some(other) if other.piece_id == piece.id => return Err(sold()),
            Some(_) => return Err(exclusivity::too_close()),
            // Only the copyright ID collided (1 in 34 billion): draw another.
            None => continue,
        }
    }
}

/// Inserts `row` for piece `piece_id` with its `melody` recorded, unless
/// music alike is sold; the insert's own failure (a key or a piece taken) is
/// the inner error, for the caller to tell apart.
async fn try_reserve(
    db: &DatabaseConnection,
    row: sales::ActiveModel,
    melody: &Melody,
    piece_id: i64,
) -> Result<Result<sales::Model, DbErr>, AppError> {
    // Comparing with the sold music and recording this piece's are one
    // step for every instance, or two near-copies could both be reserved.
    let txn = exclusive(db).await?;
    if exclusivity::sold_alike(&txn, melody, piece_id)
        .await?
        .is_some()
    {
        txn.rollback().await?;
        return Err(exclusivity::too_close());
    }
    let reserved = async {
        let sale = row.insert(&txn).await?;
        exclusivity::record(&txn, sale.id, melody).await?;
        Ok::<_, DbErr>(sale)
    };
    Ok(match reserved.await {
        Ok(sale) => {
            txn.commit().await?;
            Ok(sale)
        }
        Err(err) => {
            txn.rollback().await?;
            Err(err)
        }
    })
}

/// Charges `order`'s card for its reserved `sale`: paid, released when the
/// card is declined, or left for settlement when nobody knows yet.
async fn charge(
    context: &ServerContext,
    order: &Order<'_>,
    sale: sales::Model,
) -> Result<sales::Model, AppError> {
    let (db, gateway, price) = (&context.db, context.gateway.as_ref(), &context.price);
    match gateway
        .charge(price.minor, &price.currency, order.card, order.key)
        .await
    {
        // The gateway answers a repeated key with its first charge, which may
        // have been refunded since (its sale was gone): that pays for nothing.
        Ok(Ok(charge)) if charge.refunded => {
            release(db, &sale).await?;
            Err(AppError::Conflict(
                "This checkout's payment was refunded. Please reload the page to pay again.".into(),
            ))
        }
        Ok(Ok(charge)) => complete(db, gateway, sale, &charge).await,
        Ok(Err(decline)) => {
            release(db, &sale).await?;
            Err(AppError::PaymentDeclined(decline.message().into()))
        }
        // Charged or not, nobody knows yet: the reservation stays for `settlement::reconcile`.
        Err(err) => Err(AppError::internal(
            "Your payment could not be confirmed. If your card was charged, the piece will be yours within minutes; if not, nothing is owed.",
            &err,
        )),
    }
}

/// Marks a reserved sale paid; refunds the charge if the reservation is gone.
pub(crate) async fn complete(
    db: &DatabaseConnection,
    gateway: &dyn Gateway,
    sale: sales::Model,
    charge: &Charge,
) -> Result<sales::Model, AppError> {
    let paid_at = now();
    let updated = sales::Entity::update_many()
        .col_expr(sales::Column::Status, Expr::value(Status::Paid))
        .col_expr(sales::Column::ChargeId, Expr::value(charge.id.clone()))
        .col_expr(sales::Column::CardBrand, Expr::value(charge.brand.clone()))
        .col_expr(sales::Column::CardLast4, Expr::value(charge.last4.clone()))
        .col_expr(sales::Column::PaidAt, Expr::value(paid_at))
        .filter(sales::Column::Id.eq(sale.id))
        .filter(sales::Column::Status.eq(Status::Reserved))
        .exec(db)
        .await
        .map_err(|err| {
            AppError::internal(
                "Your payment went through and the sale is being recorded: the piece will be in your library within minutes.",
                &err,
            )
        })?;
    if updated.rows_affected == 0 {
        // Another instance's pass, or the purchase itself, may have completed
        // it meanwhile: a sale paid with this very charge is done, not refunded.
        if let Some(paid) = sales::Entity::find_by_id(sale.id).one(db).await?
            && paid.status == Status::Paid
            && paid.charge_id.as_deref() == Some(charge.id.as_str())
        {
            return Ok(paid);
        }
        gateway.refund(&charge.id).await.map_err(|err| {
            AppError::internal(
                "The sale could not be completed; your payment will be refunded.",
                &err,
            )
        })?;
        return Err(AppError::internal(
            "The sale could not be completed, so your payment was refunded. Please try again.",
            &"reservation released before the charge completed",
        ));
    }
    Ok(sales::Model {
        status: Status::Paid,
        charge_id: Some(charge.id.clone()),
        card_brand: Some(charge.brand.clone()),
        card_last4: Some(charge.last4.clone()),
        paid_at: Some(paid_at),
        ..sale
    })
}

/// A digest of a purchase as asked: the piece, the licensee and the card's
/// name, brand and last four digits. Never the whole number or the CVV, whose
/// digests could be reversed by trying every number.
pub fn request_digest(piece_id: i64, card: &Card, licensee: &str) -> String {
    use sha2::{Digest, Sha256};
    let fields = [
        piece_id.to_string(),
        licensee.to_owned(),
        card.name.clone(),
        card.brand().to_string(),
        card.last4().to_string(),
    ];
    hex::encode(Sha256::digest(fields.join("\0").as_bytes()))
}

/// The answer to a repeated checkout key from `buyer` for `piece_id`, asked
/// as `digest` says: the first attempt's, once known; 422 when the key was
/// used for another request.
async fn replay(
    db: &DatabaseConnection,
    gateway: &dyn Gateway,
    mut earlier: sales::Model,
    (buyer, piece_id, digest): (i64, i64, &str),
) -> Result<sales::Model, AppError> {
    // The piece is in the digest: a key sent again for another piece is 422.
    if earlier.buyer_id == buyer
        && earlier
            .request_digest
            .as_deref()
            .is_some_and(|d| d != digest)
    {
        return Err(AppError::invalid(
            "Idempotency-Key",
            "This key was used for a purchase with other details. Send a new key for a new purchase, and the same details when you retry one.",
        ));
    }
    if earlier.buyer_id != buyer || earlier.piece_id != piece_id {
        return Err(AppError::Conflict(
            "This checkout has already been used. Please reload the page.".into(),
        ));
    }
    let started = std::time::Instant::now();
    while earlier.status == Status::Reserved && started.elapsed() < REPLAY_WAIT {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        match by_key(db, &earlier.idempotency_key).await? {
            Some(now) => earlier = now,
            // Released: the first attempt was declined; say so again.
            None => {
                let outcome = gateway
                    .find(&earlier.idempotency_key)
                    .await
                    .map_err(|err| {
                        AppError::internal("The payment could not be confirmed.", &err)
                    })?;
                return match outcome {
                    Some(Err(decline)) => Err(AppError::PaymentDeclined(decline.message().into())),
                    _ => Err(AppError::internal(
                        "The payment did not complete. Please try again.",
                        &"a replayed checkout found neither a sale nor a decline",
                    )),
                };
            }
        }
    }
    if earlier.status == Status::Paid {
        Ok(earlier)
    } else {
        Err(AppError::Busy(
            "Your payment is still being processed. Please reload this page in a moment.".into(),
        ))
    }
}

async fn by_key(db: &DatabaseConnection, key: &str) -> Result<Option<sales::Model>, DbErr> {
    sales::Entity::find()
        .filter(sales::Column::IdempotencyKey.eq(key))
        .one(db)
        .await
}

/// Releases a reservation, and its music with it.
pub(crate) async fn release(db: &DatabaseConnection, sale: &sales::Model) -> Result<(), DbErr> {
    let released = sales::Entity::delete_many()
        .filter(sales::Column::Id.eq(sale.id))
        .filter(sales::Column::Status.eq(Status::Reserved))
        .exec(db)
        .await?;
    if released.rows_affected > 0 {
        // The foreign key's cascade does this where foreign keys are enforced.
        exclusivity::forget(db, sale.id).await?;
    }
    Ok(())
}

/// The key of the PostgreSQL advisory lock a reservation holds while it
/// compares its music with the sold music and records its own.
const RESERVATION_LOCK: i64 = 0x4d69_7854_6170_6503;

/// A transaction that no other reservation runs beside, in any instance: on
/// PostgreSQL under an advisory lock that ends with it; on SQLite one that
/// takes the database's write lock as it begins (`BEGIN IMMEDIATE`), since a
/// transaction that reads first cannot wait for the lock when it comes to
/// write after another connection wrote: SQLite answers "busy" at once.
async fn exclusive(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm::{
        ConnectionTrait, DatabaseBackend, SqliteTransactionMode, TransactionOptions,
        TransactionTrait,
    };

    if db.get_database_backend() != DatabaseBackend::Postgres {
        return db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await;
    }
    let txn = db.begin().await?;
    txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({RESERVATION_LOCK})"))
        .await?;
    Ok(txn)
}

fn new_copyright_id() -> CopyrightId {
    use chrono::Datelike;
    let year = chrono::Utc::now().year().clamp(0, 9999) as u16;
    let random: [u8; 7] = random_bytes(7).try_into().expect("seven bytes");
    CopyrightId::new(year, random)
}

/// Piece `piece_id` and its sale, if account `user` bought it; otherwise the
/// answer for someone who may not have its full files (not found for
/// anyone but its owner).
pub(crate) async fn bought(
    db: &DatabaseConnection,
    user: Option<i64>,
    piece_id: i64,
) -> Result<(piece::Model, sales::Model), AppError> {
    let user = user.ok_or_else(|| {
        AppError::Unauthorized("Log in as the buyer of this piece to download it.".into())
    })?;
    let piece = pieces::find_for(db, Some(&Owner::User(user)), piece_id).await?;
    match pieces::sale_of(db, piece_id).await? {
        Some(sale) if sale.buyer_id == user && sale.status == Status::Paid => Ok((piece, sale)),
        _ => Err(AppError::Forbidden(
            "Only the buyer of this piece can download its full version.".into(),
        )),
    }
}

/// What the buyer of a piece downloads.
#[derive(Debug, Clone, PartialEq)]
pub struct Download {
    /// The piece's id.
    pub piece_id: i64,
    /// Its standard MIDI file.
    pub midi: Vec<u8>,
    /// The sale's copyright ID, which names the files.
    pub copyright_id: String,
}

/// The files of piece `piece_id` for account `user`, if they bought it;
/// otherwise the answer for someone who may not have them.
pub async fn download(
    db: &DatabaseConnection,
    user: Option<i64>,
    piece_id: i64,
) -> Result<Download, AppError> {
    let (piece, sale) = bought(db, user, piece_id).await?;
    Ok(Download {
        piece_id: piece.id,
        midi: piece.midi,
        copyright_id: sale.copyright_id,
    })
}

/// The paid sale with this copyright ID, its piece and the name it shows as
/// the owner (the licensee named at checkout).
pub(crate) async fn by_copyright_id(
    db: &DatabaseConnection,
    id: &CopyrightId,
) -> Result<Option<(sales::Model, piece::Model, String)>, DbErr> {
    let Some((sale, Some(buyer))) = sales::Entity::find()
        .filter(sales::Column::CopyrightId.eq(id.as_str()))
        .filter(sales::Column::Status.eq(Status::Paid))
        .find_also_related(user::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let piece = piece::Entity::find_by_id(sale.piece_id).one(db).await?;
    let owner = sale.licensee.clone().unwrap_or(buyer.display_name);
    Ok(piece.map(|piece| (sale, piece, owner)))
}

/// The paid purchases of account `buyer`, newest first.
pub async fn purchases_of(db: &DatabaseConnection, buyer: i64) -> Result<Vec<Purchase>, DbErr> {
    let sales = sales::Entity::find()
        .filter(sales::Column::BuyerId.eq(buyer))
        .filter(sales::Column::Status.eq(Status::Paid))
        .order_by_desc(sales::Column::PaidAt)
        .find_also_related(piece::Entity)
        .all(db)
        .await?;
    Ok(sales
        .into_iter()
        .filter_map(|(sale, piece)| {
            let piece = piece?;
            Some(Purchase {
                piece_id: piece.id,
                title: piece.title(),
                copyright_id: sale.copyright_id,
            })
        })
        .collect())
}

/// Which of `pieces` are sold or being paid for.
pub async fn sold_among(
    db: &DatabaseConnection,
    pieces: impl IntoIterator<Item = i64>,
) -> Result<Vec<i64>, DbErr> {
    use sea_orm::QuerySelect;
    sales::Entity::find()
        .filter(sales::Column::PieceId.is_in(pieces))
        .select_only()
        .column(sales::Column::PieceId)
        .into_tuple()
        .all(db)
        .await
}

/// Starts account `buyer` buying piece `piece_id`, which they composed: its
/// price and a new checkout key.
pub async fn checkout(
    context: &ServerContext,
    buyer: i64,
    piece_id: i64,
) -> Result<Checkout, AppError> {
    let piece = own_piece(&context.db, buyer, piece_id).await?;
    if pieces::sale_of(&context.db, piece_id).await?.is_some() {
        return Err(sold());
    }
    if exclusivity::sold_before(&context.db, &piece).await? {
        return Err(exclusivity::too_close());
    }
    Ok(Checkout {
        piece_id,
        title: piece.title(),
        price: context.price.to_string(),
        key: random_token(16),
        licensee: account_name(&context.db, buyer).await?,
    })
}

/// Pays for piece `piece_id` as account `buyer` under checkout `key` with
/// the card `form` (checked against `this_month`), naming `licensee` on the
/// certificate (the account's name when empty); the copyright ID.
pub async fn pay(
    context: &ServerContext,
    (buyer, piece_id, key): (i64, i64, &str),
    form: &CardForm,
    licensee: &str,
    this_month: YearMonth,
) -> Result<String, AppError> {
    let checked = card::check(form, this_month);
    let licensee_field = rights::licensee(licensee);
    let (card, licensee_field) = match (checked, licensee_field) {
        (Ok(card), Ok(licensee)) => (card, licensee),
        (checked, licensee) => {
            let mut errors = checked.err().unwrap_or_default();
            errors.extend(licensee.err());
            return Err(AppError::Invalid(errors));
        }
    };
    if key.is_empty() || key.len() > 64 {
        return Err(expired_checkout());
    }
    let licensee = match licensee_field {
        Some(name) => name,
        None => account_name(&context.db, buyer).await?,
    };
    context.limits.buy(&context.db, buyer).await?;
    let sale = buy(
        context,
        Order {
            buyer,
            piece_id,
            key,
            card: &card,
            licensee: &licensee,
        },
    )
    .await?;
    tracing::info!(piece_id, buyer, copyright_id = %sale.copyright_id, "piece sold");
    Ok(sale.copyright_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ConnectionTrait, Database};

    /// A reservation reads the sold music, then writes its own: another
    /// instance writing in between must wait for it, not make it fail.
    #[tokio::test]
    async fn a_reservation_outlasts_a_write_from_another_instance() {
        let dir = tempfile::tempdir().unwrap();
        let url = migrations::testing::new_database(dir.path()).await;
        let (db, other) = (
            Database::connect(&url).await.unwrap(),
            Database::connect(&url).await.unwrap(),
        );
        db.execute_unprepared("CREATE TABLE scratch (n INTEGER)")
            .await
            .unwrap();

        let txn = exclusive(&db).await.unwrap();
        txn.execute_unprepared("SELECT COUNT(*) FROM scratch")
            .await
            .unwrap();
        let meanwhile = tokio::spawn(async move {
            other
                .execute_unprepared("INSERT INTO scratch VALUES (1)")
                .await
        });
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        txn.execute_unprepared("INSERT INTO scratch VALUES (2)")
            .await
            .expect("the reservation writes");
        txn.commit().await.unwrap();
        meanwhile.await.unwrap().expect("the other write waited");

        let rows = db
            .query_all_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT n FROM scratch",
            ))
            .await
            .unwrap();
        assert_eq!(rows.len(), 2);
    }
}
