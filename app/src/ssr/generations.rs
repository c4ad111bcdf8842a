//! Generations, the studio's work on the record: a request is queued in the
//! `generations` table, composed in the background, and stored as a piece.
//! While an instance runs it refreshes its unfinished rows; rows nobody
//! refreshes (their instance crashed) are marked failed by any instance.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use models::Instrument;
use models::compose::generate::Settings;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, Set,
};

use super::generation_table::{self as table, Status};
use super::studio::{Composed, Ticket};
use super::{ServerContext, now, piece_table};
use crate::account::ssr::Owner;

/// What the person sees when their piece's instance stopped.
const STOPPED: &str =
    "The server composing this piece stopped before it was done. Please compose it again.";
/// What the person sees when composing failed.
const FAILED_TO_COMPOSE: &str = "This piece could not be composed. Please try again.";

/// This instance's name and the generations it is working on.
#[derive(Debug, Clone)]
pub struct Generations {
    instance: String,
    in_flight: Arc<Mutex<HashSet<i64>>>,
}

/// What to compose, checked.
#[derive(Debug, Clone)]
pub struct Request {
    /// The instrument.
    pub instrument: Instrument,
    /// The model's settings, the seed drawn.
    pub settings: Settings,
    /// The form's settings as a query string, to show the form again.
    pub form_query: String,
    /// Who the piece will belong to.
    pub owner: Owner,
}

impl Generations {
    /// A new instance's generations, under a random name.
    pub fn new() -> Generations {
        Generations {
            instance: super::random_token(8),
            in_flight: Arc::default(),
        }
    }

    fn in_flight(&self) -> std::sync::MutexGuard<'_, HashSet<i64>> {
        self.in_flight
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records `request` as queued and composes it in the background with
    /// `ticket`'s place in the queue; the generation's id.
    pub async fn start(
        &self,
        context: &ServerContext,
        request: Request,
        ticket: Ticket,
    ) -> Result<i64, DbErr> {
        let id = self.record(&context.db, &request).await?;
        self.in_flight().insert(id);
        let (generations, context) = (self.clone(), context.clone());
        tokio::spawn(async move {
            generations.run(&context, id, request, ticket).await;
            generations.in_flight().remove(&id);
        });
        Ok(id)
    }

    /// Records `request` as queued on this instance; the generation's id.
    async fn record(&self, db: &DatabaseConnection, request: &Request) -> Result<i64, DbErr> {
        let (owner_id, visitor) = match &request.owner {
            Owner::User(id) => (Some(*id), None),
            Owner::Visitor(key) => (None, Some(key.clone())),
        };
        let row = table::ActiveModel {
            instance: Set(self.instance.clone()),
            settings: Set(request.form_query.clone()),
            owner_id: Set(owner_id),
            visitor: Set(visitor),
            status: Set(Status::Queued),
            piece_id: Set(None),
            error: Set(None),
            created_at: Set(now()),
            updated_at: Set(now()),
            ..Default::default()
        }
        .insert(db)
        .await?;
        Ok(row.id)
    }

    async fn run(&self, context: &ServerContext, id: i64, request: Request, ticket: Ticket) {
        let composer = ticket.composer().await;
        let db = &context.db;
        if let Err(err) = set_status(db, id, Status::Composing, None, None).await {
            tracing::warn!(%err, id, "cannot mark a generation as composing");
        }
        let outcome = match composer
            .compose(request.instrument, request.settings.clone())
            .await
        {
            Ok(composed) => match store(db, id, &request, composed).await {
                Ok(piece) => (Status::Done, Some(piece), None),
                Err(err) => {
                    tracing::error!(%err, id, "a composed piece could not be stored");
                    (Status::Failed, None, Some(FAILED_TO_COMPOSE))
                }
            },
            Err(err) => {
                tracing::error!(%err, id, "a piece could not be composed");
                (Status::Failed, None, Some(FAILED_TO_COMPOSE))
            }
        };
        // The database may be away for a moment: the outcome is retried, and if
        // it stays unreachable the sweep marks the generation failed later.
        let (status, piece, error) = outcome;
        let mut wait = Duration::from_millis(250);
        for _ in 0..6 {
            match set_status(db, id, status, piece, error).await {
                Ok(()) => return,
                Err(err) => tracing::warn!(%err, id, "cannot record a generation's outcome"),
            }
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
    }

    /// Refreshes the generations this instance is working on, so that no other
    /// instance takes them for a crashed one's.
    pub async fn keep_alive(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        let ids: Vec<i64> = self.in_flight().iter().copied().collect();
        if ids.is_empty() {
            return Ok(());
        }
        table::Entity::update_many()
            .col_expr(table::Column::UpdatedAt, Expr::value(now()))
            .filter(table::Column::Id.is_in(ids))
            .exec(db)
            .await
            .map(|_| ())
    }
}

impl Default for Generations {
    fn default() -> Generations {
        Generations::new()
    }
}

/// Marks failed every unfinished generation that no instance refreshed for
/// `stale_after` (its instance stopped); how many.
pub async fn sweep(db: &DatabaseConnection, stale_after: Duration) -> Result<u64, DbErr> {
    let result = table::Entity::update_many()
        .col_expr(table::Column::Status, Expr::value(Status::Failed))
        .col_expr(table::Column::Error, Expr::value(STOPPED))
        .col_expr(table::Column::UpdatedAt, Expr::value(now()))
        .filter(table::Column::Status.is_in([Status::Queued, Status::Composing]))
        .filter(table::Column::UpdatedAt.lt(now() - stale_after.as_secs() as i64))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// How many queued generations are ahead of `row` on its instance.
pub async fn ahead_of(db: &DatabaseConnection, row: &table::Model) -> Result<u64, DbErr> {
    table::Entity::find()
        .filter(table::Column::Status.eq(Status::Queued))
        .filter(table::Column::Instance.eq(row.instance.as_str()))
        .filter(table::Column::Id.lt(row.id))
        .count(db)
        .await
}

async fn set_status(
    db: &DatabaseConnection,
    id: i64,
    status: Status,
    piece: Option<i64>,
    error: Option<&str>,
) -> Result<(), DbErr> {
    table::Entity::update_many()
        .col_expr(table::Column::Status, Expr::value(status))
        .col_expr(table::Column::PieceId, Expr::value(piece))
        .col_expr(table::Column::Error, Expr::value(error))
        .col_expr(table::Column::UpdatedAt, Expr::value(now()))
        .filter(table::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Stores a composed piece for the generation's owner; its id.
async fn store(
    db: &DatabaseConnection,
    id: i64,
    request: &Request,
    composed: Composed,
) -> Result<i64, DbErr> {
    let generation = find(db, id).await?;
    let piece = insert_piece(db, &generation, request, composed).await?;
    follow_generation(db, piece, &generation).await?;
    Ok(piece)
}

async fn find(db: &DatabaseConnection, id: i64) -> Result<table::Model, DbErr> {
    table::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("generation {id}")))
}

/// The owner columns of a piece for `generation`: an account, else its visitor.
fn owner_of(generation: &table::Model) -> (Option<i64>, Option<String>) {
    match generation.owner_id {
        Some(user) => (Some(user), None),
        None => (None, generation.visitor.clone()),
    }
}

async fn insert_piece(
    db: &DatabaseConnection,
    generation: &table::Model,
    request: &Request,
    composed: Composed,
) -> Result<i64, DbErr> {
    let settings = &request.settings;
    let length_seconds = match settings.length {
        models::compose::generate::Length::Seconds(seconds) => seconds.round() as i32,
        models::compose::generate::Length::Events(_) => composed.seconds.round() as i32,
    };
    let (owner_id, visitor) = owner_of(generation);
    let row = piece_table::ActiveModel {
        instrument: Set(request.instrument.id().to_owned()),
        length_seconds: Set(length_seconds),
        tempo_bpm: Set(settings.bpm.round() as i32),
        tonic: Set(settings.tonic.map(i16::from)),
        mode: Set(settings.mode.map(|m| m.name().to_owned())),
        creativity: Set(settings.temperature),
        seed: Set(settings.seed as i64),
        model_version: Set(composed.model_version),
        key_name: Set(composed.key.map(|k| k.to_string())),
        seconds: Set(composed.seconds),
        midi: Set(composed.midi),
        fingerprint: Set(composed.fingerprint),
        created_at: Set(now()),
        owner_id: Set(owner_id),
        visitor: Set(visitor),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

/// Gives `piece`, inserted for the owner `stored_for` names, to its
/// generation's owner as it is now. A visitor who signs in gives away their
/// generations, then their pieces (`account::ssr::give_visitor_pieces`): a
/// piece inserted between the two would miss both moves without this.
async fn follow_generation(
    db: &DatabaseConnection,
    piece: i64,
    stored_for: &table::Model,
) -> Result<(), DbErr> {
    let owner = owner_of(&find(db, stored_for.id).await?);
    if owner == owner_of(stored_for) {
        return Ok(());
    }
    let (owner_id, visitor) = owner;
    piece_table::Entity::update_many()
        .col_expr(piece_table::Column::OwnerId, Expr::value(owner_id))
        .col_expr(piece_table::Column::Visitor, Expr::value(visitor))
        .filter(piece_table::Column::Id.eq(piece))
        .exec(db)
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::ssr::give_visitor_pieces;

    async fn pieces_of(db: &DatabaseConnection, owner: Owner) -> u64 {
        piece_table::Entity::find()
            .filter(owner.pieces())
            .count(db)
            .await
            .unwrap()
    }

    /// The visitor signs in after their generation was read for storing the
    /// piece and before the piece is inserted.
    #[tokio::test]
    async fn a_piece_stored_while_its_visitor_signs_in_goes_to_the_account() {
        let dir = tempfile::tempdir().unwrap();
        let db = migrations::testing::migrated_database(dir.path()).await;
        let visitor = || Owner::Visitor("visitor key".into());
        let request = Request {
            instrument: Instrument::Piano,
            settings: Settings::default(),
            form_query: String::new(),
            owner: visitor(),
        };
        let id = Generations::new().record(&db, &request).await.unwrap();
        let composed = Composed {
            midi: Vec::new(),
            fingerprint: "music".into(),
            model_version: "piano-test".into(),
            seconds: 10.0,
            key: None,
        };

        let read_before_sign_in = find(&db, id).await.unwrap();
        give_visitor_pieces(&db, "visitor key", 7).await.unwrap();
        let piece = insert_piece(&db, &read_before_sign_in, &request, composed)
            .await
            .unwrap();
        assert_eq!(
            pieces_of(&db, visitor()).await,
            1,
            "the piece missed the move"
        );
        follow_generation(&db, piece, &read_before_sign_in)
            .await
            .unwrap();
        assert_eq!(pieces_of(&db, visitor()).await, 0);
        assert_eq!(pieces_of(&db, Owner::User(7)).await, 1);
    }
}
