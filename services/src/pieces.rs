//! Pieces: storing what a composer wrote, showing a piece, its settings and
//! its MIDI, moving a visitor's pieces to their account, deleting one.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, NotSet, QueryFilter,
    QuerySelect, Set, SqlErr,
};

use crate::ServerContext;
use crate::composer::Composed;
use crate::owner::Owner;
use crate::storage::sale::Status;
use crate::storage::{generation, now, piece, sale};
use crate::{exclusivity, with_random_id};
use domain::compose::{ComposeSettings, Mode, RequestedSettings};
use domain::error::AppError;
use domain::piece::{PieceView, RollNote, SaleState};
use domain::price::Price;

/// Stored piece `id`, or the not-found answer.
pub(crate) async fn find(db: &DatabaseConnection, id: i64) -> Result<piece::Model, AppError> {
    piece::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(AppError::no_piece)
}

/// The settings a stored piece was composed with, its seed included; an
/// internal error if its columns no longer make valid settings.
pub(crate) fn settings_of(row: &piece::Model) -> Result<ComposeSettings, AppError> {
    RequestedSettings {
        instrument: row.instrument.clone(),
        length_seconds: u32::try_from(row.length_seconds).unwrap_or_default(),
        tempo_bpm: u32::try_from(row.tempo_bpm).unwrap_or_default(),
        meter: row.meter.parse().unwrap_or_default(),
        energy: u8::try_from(row.energy).unwrap_or_default(),
        tonic: row.tonic.and_then(|pc| u8::try_from(pc).ok()),
        mode: row.mode.as_deref().and_then(|m| m.parse::<Mode>().ok()),
        creativity: row.creativity,
        seed: u64::try_from(row.seed).ok(),
        motif: row
            .motif
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok()),
    }
    .validate()
    .map_err(|errors| {
        let detail = format!("piece {}: {errors:?}", row.id);
        AppError::internal("This piece's settings cannot be read.", &detail)
    })
}

/// The motif of `settings` as the `motif` column stores it.
fn motif_column(settings: &ComposeSettings) -> Option<String> {
    settings
        .motif()
        .map(|motif| serde_json::to_string(motif).expect("a motif is JSON"))
}

/// Whether `owner` owns `row`.
pub(crate) fn owned_by(row: &piece::Model, owner: Option<&Owner>) -> bool {
    owner.is_some_and(|owner| owner.owns(row.owner_id, row.visitor.as_ref()))
}

/// Piece `id` if `viewer` may see it, else the not-found answer, the same
/// as for no piece at all so that an id tells a stranger nothing. A piece is
/// its composer's until sold and its buyer's after; only its composer may buy
/// it (`sales::own_piece`), so both are the account that owns it.
pub(crate) async fn find_for(
    db: &DatabaseConnection,
    viewer: Option<&Owner>,
    id: i64,
) -> Result<piece::Model, AppError> {
    let row = find(db, id).await?;
    if !owned_by(&row, viewer) {
        return Err(AppError::no_piece());
    }
    Ok(row)
}

/// The settings of piece `id`, its seed included, if `viewer` may see it;
/// else the not-found answer.
pub async fn settings_for(
    db: &DatabaseConnection,
    viewer: Option<&Owner>,
    id: i64,
) -> Result<ComposeSettings, AppError> {
    settings_of(&find_for(db, viewer, id).await?)
}

/// Nothing if `viewer` may see piece `id`; else the not-found answer.
pub async fn check_visible(
    db: &DatabaseConnection,
    viewer: Option<&Owner>,
    id: i64,
) -> Result<(), AppError> {
    find_for(db, viewer, id).await.map(drop)
}

/// Piece `id` as its page shows it to `viewer` (whoever is browsing, if anyone).
pub async fn view(
    db: &DatabaseConnection,
    price: &Price,
    viewer: Option<&Owner>,
    id: i64,
) -> Result<PieceView, AppError> {
    let row = find_for(db, viewer, id).await?;
    let sale = match sale_of(db, id).await? {
        // Checked as the page is shown, since a piece alike may sell at any time.
        None if exclusivity::sold_before(db, &row).await? => SaleState::TooClose,
        None => SaleState::ForSale(price.to_string()),
        Some(sale) if sale.status != Status::Paid => SaleState::Pending,
        Some(sale) if viewer.and_then(Owner::user) == Some(sale.buyer_id) => {
            SaleState::Yours(sale.copyright_id)
        }
        // Sold to another account (only sales from before 3 December 2026
        // could be): the piece is its buyer's, whose it became.
        Some(_) => return Err(AppError::no_piece()),
    };
    let music = models::music::midi::read(&row.midi)
        .map_err(|err| AppError::internal("This piece's music cannot be read.", &err))?;
    let settings = settings_of(&row)?;
    // The composer's own notes start after the motif's last onset.
    let motif_end = settings.motif().as_ref().map(|m| m.last_start());
    let notes = music
        .notes
        .iter()
        .map(|note| RollNote {
            start: music.seconds_at(note.onset),
            end: music.seconds_at(note.onset + note.duration),
            pitch: note.pitch,
            velocity: note.velocity,
            motif: motif_end.is_some_and(|end| note.onset <= end + 1e-6),
        })
        .collect();
    let instrument = models::Instrument::from_id(&row.instrument)
        .map_or(row.instrument.clone(), |i| i.display_name().to_owned());
    Ok(PieceView {
        id: row.id,
        title: row.title(),
        instrument,
        seconds: row.seconds,
        key_name: row.key_name.clone(),
        settings,
        sale,
        model_version: row.model_version,
        notes,
    })
}

/// The sale of piece `piece_id` (paid or reserved), if it has one.
pub(crate) async fn sale_of(
    db: &DatabaseConnection,
    piece_id: i64,
) -> Result<Option<sale::Model>, DbErr> {
    sale::Entity::find()
        .filter(sale::Column::PieceId.eq(piece_id))
        .one(db)
        .await
}

/// Whether a sold (or reserved) piece was composed with `settings`' seed
/// and every setting that shapes its notes, its motif included. Length and tempo do not: the
/// same seed composes the same opening at any length, and the same notes at
/// any tempo, so those would be copies of the sold piece.
pub async fn sold_with(db: &DatabaseConnection, settings: &ComposeSettings) -> Result<bool, DbErr> {
    use sea_orm::{JoinType, PaginatorTrait, RelationTrait};
    let Some(seed) = settings.seed() else {
        return Ok(false);
    };
    let mut query = piece::Entity::find()
        .join(JoinType::InnerJoin, piece::Relation::Sales.def())
        .filter(piece::Column::Instrument.eq(settings.instrument()))
        .filter(piece::Column::Seed.eq(seed as i64))
        .filter(piece::Column::Creativity.eq(settings.creativity()));
    query = match settings.tonic() {
        Some(tonic) => query.filter(piece::Column::Tonic.eq(i16::from(tonic))),
        None => query.filter(piece::Column::Tonic.is_null()),
    };
    query = match settings.mode() {
        Some(mode) => query.filter(piece::Column::Mode.eq(mode.name())),
        None => query.filter(piece::Column::Mode.is_null()),
    };
    query = match motif_column(settings) {
        Some(motif) => query.filter(piece::Column::Motif.eq(motif)),
        None => query.filter(piece::Column::Motif.is_null()),
    };
    Ok(query.count(db).await? > 0)
}

/// The standard MIDI file of piece `id`, if it exists and `viewer` may see it.
pub async fn midi(
    db: &DatabaseConnection,
    viewer: Option<&Owner>,
    id: i64,
) -> Result<Option<Vec<u8>>, DbErr> {
    let Some(viewer) = viewer else {
        return Ok(None);
    };
    piece::Entity::find_by_id(id)
        .filter(viewer.pieces())
        .select_only()
        .column(piece::Column::Midi)
        .into_tuple::<Vec<u8>>()
        .one(db)
        .await
}

/// The owner columns of a piece for `owner`.
fn columns(owner: &Owner) -> (Option<i64>, Option<String>) {
    match owner {
        Owner::User(id) => (Some(*id), None),
        Owner::Visitor(key) => (None, Some(key.clone())),
    }
}

/// Stores a piece composed with `settings` (the seed drawn) for `owner`; its id.
pub async fn insert(
    db: &impl sea_orm::ConnectionTrait,
    settings: &ComposeSettings,
    composed: Composed,
    owner: &Owner,
) -> Result<i64, DbErr> {
    let (owner_id, visitor) = columns(owner);
    let row = piece::ActiveModel {
        id: NotSet,
        instrument: Set(settings.instrument().to_owned()),
        length_seconds: Set(settings.length_seconds() as i32),
        tempo_bpm: Set(settings.tempo_bpm() as i32),
        meter: Set(settings.meter().name().to_owned()),
        energy: Set(i16::from(settings.energy().level())),
        tonic: Set(settings.tonic().map(i16::from)),
        mode: Set(settings.mode().map(|m| m.name().to_owned())),
        creativity: Set(settings.creativity()),
        seed: Set(settings.seed().unwrap_or_default() as i64),
        model_version: Set(composed.model_version),
        key_name: Set(composed.key.map(|k| k.to_string())),
        seconds: Set(composed.seconds),
        midi: Set(composed.midi),
        fingerprint: Set(composed.fingerprint),
        created_at: Set(now()),
        owner_id: Set(owner_id),
        visitor: Set(visitor),
        motif: Set(motif_column(settings)),
    };
    with_random_id(|id| {
        let row = piece::ActiveModel {
            id: Set(id),
            ..row.clone()
        };
        async move { row.insert(db).await.map(|row| row.id) }
    })
    .await
}

/// Gives piece `id` to `owner`.
pub async fn give(db: &DatabaseConnection, id: i64, owner: &Owner) -> Result<(), DbErr> {
    let (owner_id, visitor) = columns(owner);
    piece::Entity::update_many()
        .col_expr(piece::Column::OwnerId, Expr::value(owner_id))
        .col_expr(piece::Column::Visitor, Expr::value(visitor))
        .filter(piece::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Gives visitor `key`'s pieces to account `user`. Their generations go
/// first (`generations::give_visitor_generations`): a piece stored between the
/// two then follows its generation.
pub async fn give_visitor_pieces(
    db: &DatabaseConnection,
    key: &str,
    user: i64,
) -> Result<(), DbErr> {
    piece::Entity::update_many()
        .col_expr(piece::Column::OwnerId, Expr::value(user))
        .col_expr(piece::Column::Visitor, Expr::value(Option::<String>::None))
        .filter(Owner::Visitor(key.to_owned()).pieces())
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes piece `id` of `owner` (none: nobody's), unless it is sold, with
/// its rendered audio.
pub async fn delete(
    context: &ServerContext,
    owner: Option<&Owner>,
    id: i64,
) -> Result<(), AppError> {
    let db = &context.db;
    // Another person's piece, or none: the same answer, so ids reveal nothing.
    let not_yours = || AppError::NotFound("There is no such piece in your library.".into());
    let owner = owner.ok_or_else(not_yours)?;
    let sold = || {
        AppError::Conflict("A sold piece cannot be deleted: its rights belong to its buyer.".into())
    };
    let row = piece::Entity::find_by_id(id)
        .filter(owner.pieces())
        .one(db)
        .await?
        .ok_or_else(not_yours)?;
    if sale_of(db, id).await?.is_some() {
        return Err(sold());
    }
    // A sale made since is still refused, by the sales table's foreign key.
    let deleted = piece::Entity::delete_many()
        .filter(owner.pieces())
        .filter(piece::Column::Id.eq(id))
        .exec(db)
        .await
        .map_err(|err| match err.sql_err() {
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => sold(),
            _ => err.into(),
        })?;
    if deleted.rows_affected == 0 {
        return Err(not_yours());
    }
    context.files.forget(&row.midi);
    Ok(())
}

/// Pieces per page of the library.
pub const PAGE_SIZE: u64 = 20;

/// Page `page` (from 1, at most the last) of `owner`'s pieces, newest first:
/// id, title, length and key of each, the page's number and how many pages there are.
pub async fn page_of(
    db: &DatabaseConnection,
    owner: &Owner,
    page: u64,
) -> Result<(Vec<(i64, String, f64, Option<String>)>, u64, u64), DbErr> {
    use sea_orm::{JoinType, PaginatorTrait, QueryOrder, QuerySelect, RelationTrait};
    let query = piece::Entity::find().filter(owner.pieces());
    let count = query.clone().count(db).await?;
    let pages = count.div_ceil(PAGE_SIZE).max(1);
    let page = page.clamp(1, pages);
    let rows = query
        .select_only()
        .columns([
            piece::Column::Id,
            piece::Column::Instrument,
            piece::Column::Seconds,
            piece::Column::KeyName,
        ])
        // Seconds alone leave pieces of one second in any order, and ids are
        // random: the moment its generation was queued orders them.
        .join(JoinType::LeftJoin, piece::Relation::Generation.def())
        .order_by_desc(piece::Column::CreatedAt)
        .order_by_desc(generation::Column::QueuedAtMicros)
        .order_by_desc(piece::Column::Id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
        .into_tuple::<(i64, String, f64, Option<String>)>()
        .all(db)
        .await?;
    Ok((
        rows.into_iter()
            .map(|(id, instrument, seconds, key)| (id, piece::title(&instrument, id), seconds, key))
            .collect(),
        page,
        pages,
    ))
}
