//! Generations, the studio's work on the record: a request is queued in the
//! `generations` table, composed in the background, and stored as a piece.
//! While an instance runs it refreshes its unfinished rows (its leases);
//! rows nobody refreshes (their instance stopped) are taken over and composed
//! by another instance, or by the same one started again ([`lease`]).

mod lease;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, NotSet,
    PaginatorTrait, QueryFilter, Set,
};

use crate::composer::{Composed, Full, Ticket};
use crate::owner::Owner;
use crate::rate_limits::in_words;
use crate::storage::generation::{self as table, Status};
use crate::storage::{now, now_micros};
use crate::{ServerContext, exclusivity, motifs, pieces, random_token, with_random_id};
use domain::compose::{ComposeForm, ComposeSettings};
use domain::error::{AppError, FieldError};
use domain::generation::GenerationState;

/// What the person sees when their piece's instance stopped.
const STOPPED: &str =
    "The server composing this piece stopped before it was done. Please compose it again.";
/// What the person sees when the music composed is a sold piece's: settings
/// that change no note (the seed refusal compares settings) end here.
const SOLD_MUSIC: &str = "These settings composed the music of a piece whose exclusive rights are sold, so it was not kept. Leave the seed empty for a new piece.";
/// What the person sees when composing failed.
const FAILED_TO_COMPOSE: &str = "This piece could not be composed. Please try again.";
/// How many instances may take up a generation after the one that queued it
/// stopped: a request that stops every instance composing it is given up.
const MAX_ATTEMPTS: i32 = 3;

/// This instance's name and the generations it is working on.
#[derive(Debug, Clone)]
pub struct Generations {
    instance: String,
    in_flight: Arc<Mutex<HashSet<i64>>>,
}

/// What to compose, checked.
#[derive(Debug, Clone)]
pub struct Request {
    /// The settings, the seed drawn.
    pub settings: ComposeSettings,
    /// Who the piece will belong to.
    pub owner: Owner,
}

impl Generations {
    /// A new instance's generations, under a random name.
    pub fn new() -> Generations {
        Generations {
            instance: random_token(8),
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
        self.spawn(context, id, request, ticket);
        Ok(id)
    }

    /// Composes generation `id` in a task of its own, kept alive while it runs.
    fn spawn(&self, context: &ServerContext, id: i64, request: Request, ticket: Ticket) {
        self.in_flight().insert(id);
        // Let go of even if the task panics, or its lease would be kept for ever.
        let in_flight = InFlight {
            generations: self.clone(),
            id,
        };
        let context = context.clone();
        tokio::spawn(async move {
            in_flight
                .generations
                .run(&context, id, request, ticket)
                .await;
            drop(in_flight);
        });
    }

    /// Records `request` as queued on this instance; the generation's id.
    async fn record(&self, db: &DatabaseConnection, request: &Request) -> Result<i64, DbErr> {
        let (owner_id, visitor) = match &request.owner {
            Owner::User(id) => (Some(*id), None),
            Owner::Visitor(key) => (None, Some(key.clone())),
        };
        let settings = serde_json::to_string(&request.settings)
            .map_err(|err| DbErr::Custom(format!("settings do not encode: {err}")))?;
        let row = table::ActiveModel {
            id: NotSet,
            instance: Set(self.instance.clone()),
            settings: Set(Some(settings)),
            owner_id: Set(owner_id),
            visitor: Set(visitor),
            status: Set(Status::Queued),
            piece_id: Set(None),
            error: Set(None),
            created_at: Set(now()),
            updated_at: Set(now()),
            queued_at_micros: Set(now_micros()),
            attempts: Set(0),
        };
        with_random_id(|id| {
            let row = table::ActiveModel {
                id: Set(id),
                ..row.clone()
            };
            async move { row.insert(db).await.map(|row| row.id) }
        })
        .await
    }

    async fn run(&self, context: &ServerContext, id: i64, request: Request, ticket: Ticket) {
        let composer = ticket.composer().await;
        let db = &context.db;
        match lease::mark(db, id, &self.instance, Status::Composing, None).await {
            Ok(true) => {}
            // Another instance took it over while it waited here.
            Ok(false) => return,
            Err(err) => tracing::warn!(%err, id, "cannot mark a generation as composing"),
        }
        let composed = composer.compose_settings(&request.settings).await;
        if let Err(err) = &composed {
            tracing::error!(%err, id, "a piece could not be composed");
        }
        // The database may be away for a moment: the outcome is retried, and if
        // it stays unreachable another instance takes the generation over later.
        let mut wait = Duration::from_millis(250);
        for _ in 0..6 {
            match self
                .record_outcome(db, id, &request, composed.as_ref().ok())
                .await
            {
                Ok(()) => return,
                Err(err) => tracing::warn!(%err, id, "cannot record a generation's outcome"),
            }
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
    }

    /// Stores `composed` as generation `id`'s piece, or records why it
    /// failed (none composed, or its music is a sold piece's).
    async fn record_outcome(
        &self,
        db: &DatabaseConnection,
        id: i64,
        request: &Request,
        composed: Option<&Composed>,
    ) -> Result<(), DbErr> {
        let refused = match composed {
            Some(composed) => sold_music(db, composed).await?,
            None => Some(FAILED_TO_COMPOSE),
        };
        match (composed, refused) {
            (Some(composed), None) => {
                let piece = composed.clone();
                lease::store_once(db, id, &self.instance, &request.settings, piece).await?;
            }
            (_, message) => {
                lease::mark(db, id, &self.instance, Status::Failed, message).await?;
            }
        }
        Ok(())
    }

    /// Refreshes the generations this instance is working on, so that no other
    /// instance takes them for a stopped one's.
    pub async fn keep_alive(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        let ids: Vec<i64> = self.in_flight().iter().copied().collect();
        if ids.is_empty() {
            return Ok(());
        }
        table::Entity::update_many()
            .col_expr(table::Column::UpdatedAt, Expr::value(now()))
            .filter(table::Column::Id.is_in(ids))
            .filter(table::Column::Instance.eq(self.instance.as_str()))
            .exec(db)
            .await
            .map(|_| ())
    }

    /// Takes over, as far as the studio has room, the unfinished generations
    /// that no instance refreshed for `stale_after` (theirs stopped), and
    /// composes them here; how many were taken.
    pub async fn adopt(
        &self,
        context: &ServerContext,
        stale_after: Duration,
    ) -> Result<u64, DbErr> {
        let mut taken = 0;
        while let Ok(ticket) = context.studio.admit() {
            let Some(row) = lease::take_stale(&context.db, &self.instance, stale_after).await?
            else {
                break;
            };
            taken += 1;
            let settings = settings_of(&row).filter(|_| row.attempts <= MAX_ATTEMPTS);
            let Some(settings) = settings else {
                lease::mark(
                    &context.db,
                    row.id,
                    &self.instance,
                    Status::Failed,
                    Some(STOPPED),
                )
                .await?;
                continue;
            };
            let request = Request {
                settings,
                owner: lease::owner_of(&row),
            };
            self.spawn(context, row.id, request, ticket);
        }
        Ok(taken)
    }
}

/// A generation this instance composes: it leaves the ones kept alive when dropped.
struct InFlight {
    generations: Generations,
    id: i64,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.generations.in_flight().remove(&self.id);
    }
}

/// Why `composed` may not be kept, if it may not: its music is a sold
/// piece's (or cannot be read to tell).
async fn sold_music(
    db: &DatabaseConnection,
    composed: &Composed,
) -> Result<Option<&'static str>, DbErr> {
    let Ok(melody) = exclusivity::melody_of(&composed.midi) else {
        // Logged where it was made.
        return Ok(Some(FAILED_TO_COMPOSE));
    };
    Ok(exclusivity::sold_alike(db, &melody, 0)
        .await?
        .map(|_| SOLD_MUSIC))
}

impl Default for Generations {
    fn default() -> Generations {
        Generations::new()
    }
}

/// Gives visitor `key`'s generations, those still being composed among
/// them, to account `user`; its pieces follow (`pieces::give_visitor_pieces`).
pub async fn give_visitor_generations(
    db: &DatabaseConnection,
    key: &str,
    user: i64,
) -> Result<(), DbErr> {
    table::Entity::update_many()
        .col_expr(table::Column::OwnerId, Expr::value(user))
        .col_expr(table::Column::Visitor, Expr::value(Option::<String>::None))
        .filter(table::Column::OwnerId.is_null())
        .filter(table::Column::Visitor.eq(key))
        .exec(db)
        .await
        .map(|_| ())
}

/// How many queued generations are ahead of `row` on its instance.
pub(crate) async fn ahead_of(db: &DatabaseConnection, row: &table::Model) -> Result<u64, DbErr> {
    table::Entity::find()
        .filter(table::Column::Status.eq(Status::Queued))
        .filter(table::Column::Instance.eq(row.instance.as_str()))
        // Ids are random: those queued earlier (ties, if any, by id).
        .filter(
            Condition::any()
                .add(table::Column::QueuedAtMicros.lt(row.queued_at_micros))
                .add(
                    Condition::all()
                        .add(table::Column::QueuedAtMicros.eq(row.queued_at_micros))
                        .add(table::Column::Id.lt(row.id)),
                ),
        )
        .count(db)
        .await
}

/// The settings a generation was asked with, until its piece holds them.
/// Rows written before the settings were stored as JSON hold the form's
/// query string instead.
fn settings_of(row: &table::Model) -> Option<ComposeSettings> {
    let settings = row.settings.as_deref()?;
    serde_json::from_str(settings).ok().or_else(|| {
        serde_urlencoded::from_str::<ComposeForm>(settings)
            .ok()?
            .parse()
            .ok()
    })
}

/// Stored generation `id`, or the not-found answer for whoever asks.
async fn asked_for(db: &DatabaseConnection, id: i64) -> Result<table::Model, AppError> {
    table::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(AppError::no_generation)
}

/// Where generation `id` is, when `owner` asked for it; anyone else's is
/// not found, as its piece would be.
pub async fn status_for(
    db: &DatabaseConnection,
    owner: Option<&Owner>,
    id: i64,
) -> Result<GenerationState, AppError> {
    let row = asked_for(db, id).await?;
    if !owner.is_some_and(|owner| owner.owns(row.owner_id, row.visitor.as_ref())) {
        return Err(AppError::no_generation());
    }
    state_of(db, row).await
}

async fn state_of(db: &DatabaseConnection, row: table::Model) -> Result<GenerationState, AppError> {
    Ok(match (row.status, row.piece_id) {
        (Status::Queued, _) => GenerationState::Queued {
            ahead: ahead_of(db, &row).await?,
        },
        (Status::Composing, _) => GenerationState::Composing,
        (Status::Done, Some(piece_id)) => GenerationState::Done { piece_id },
        _ => GenerationState::Failed {
            settings: settings_of(&row),
            message: row.error.unwrap_or_else(|| FAILED_TO_COMPOSE.into()),
        },
    })
}

/// A seed for a piece whose settings name none: different every time.
fn fresh_seed() -> u64 {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let count = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    models::rng::Rng::derive(nanos, count)
}

/// The message for an instrument id that names no installed model, if it does not.
pub fn instrument_error(
    context: &ServerContext,
    instrument: &str,
) -> Result<Option<FieldError>, AppError> {
    let installed = context.studio.instruments()?;
    Ok((!installed.iter().any(|i| i.id == instrument.trim()))
        .then(|| FieldError::new("instrument", "Choose one of the instruments listed.")))
}

/// The message for settings whose instrument is not installed, or whose
/// meter its model does not compose in (which the form does not offer).
fn settings_error(
    context: &ServerContext,
    settings: &ComposeSettings,
) -> Result<Option<FieldError>, AppError> {
    let installed = context.studio.instruments()?;
    let Some(instrument) = installed.iter().find(|i| i.id == settings.instrument()) else {
        return instrument_error(context, settings.instrument());
    };
    if instrument.meters.contains(&settings.meter()) {
        return Ok(None);
    }
    let known: Vec<&str> = instrument.meters.iter().map(|m| m.name()).collect();
    Ok(Some(FieldError::new(
        domain::compose::METER_FIELD,
        format!(
            "The {} composes in {}; choose one of those.",
            instrument.name.to_lowercase(),
            known.join(" or ")
        ),
    )))
}

/// Checks `settings`' instrument, counts them against the rate limits of `client` (an
/// address key) and the owner, and queues the piece for `owner`; the
/// generation's id.
pub async fn queue(
    context: &ServerContext,
    owner: Owner,
    client: &str,
    settings: ComposeSettings,
) -> Result<i64, AppError> {
    if let Some(error) = settings_error(context, &settings)? {
        return Err(AppError::Invalid(vec![error]));
    }
    // Counted before the checks against the sold pieces, so that a refusal
    // counts too and those checks cannot be probed without end.
    context
        .limits
        .compose(&context.db, client, owner.user())
        .await?;
    if pieces::sold_with(&context.db, &settings).await? {
        return Err(AppError::Conflict(
            "This seed and these settings compose a piece that has been sold. Leave the seed empty for a new piece.".into(),
        ));
    }
    if let Some(motif) = &settings.motif() {
        motifs::check_not_sold(&context.db, motif).await?;
    }
    let ticket = context.studio.admit().map_err(studio_busy)?;
    let settings = settings.seeded(fresh_seed);
    let request = Request { settings, owner };
    context
        .generations
        .start(context, request, ticket)
        .await
        .map_err(AppError::from)
}

/// The answer when every composer is busy and the queue is full.
fn studio_busy(full: Full) -> AppError {
    let seconds = full.retry_after.as_secs_f64().ceil().max(1.0) as u32;
    AppError::TooManyRequests {
        message: format!(
            "The studio is busy: {} waiting for a composer. Please try again in {}.",
            match full.waiting {
                1 => "1 piece is".to_owned(),
                n => format!("{n} pieces are"),
            },
            in_words(seconds)
        ),
        retry_after: seconds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessions::give_visitor_to;
    use crate::storage::piece;

    async fn pieces_of(db: &DatabaseConnection, owner: Owner) -> u64 {
        piece::Entity::find()
            .filter(owner.pieces())
            .count(db)
            .await
            .unwrap()
    }

    fn row(settings: &str) -> table::Model {
        table::Model {
            id: 1,
            instance: "test".into(),
            settings: Some(settings.into()),
            owner_id: None,
            visitor: None,
            status: Status::Failed,
            piece_id: None,
            error: None,
            created_at: 0,
            updated_at: 0,
            queued_at_micros: 0,
            attempts: 0,
        }
    }

    #[test]
    fn settings_are_stored_as_json_and_old_query_strings_still_read() {
        let settings = domain::compose::RequestedSettings {
            tonic: Some(3),
            mode: Some(domain::compose::Mode::Minor),
            seed: Some(42),
            ..ComposeSettings::new("piano").into()
        }
        .validate()
        .unwrap();
        let with_motif = settings
            .clone()
            .with_motif("60:0:1:80 62:1:1:80".parse().unwrap())
            .unwrap();
        let json = serde_json::to_string(&with_motif).unwrap();
        assert_eq!(settings_of(&row(&json)), Some(with_motif));
        let json = serde_json::to_string(&settings).unwrap();
        assert_eq!(settings_of(&row(&json)), Some(settings.clone()));
        let legacy = "instrument=piano&length_seconds=30&tempo_bpm=100&key=E%E2%99%AD&mode=minor&creativity=1&seed=42";
        assert_eq!(settings_of(&row(legacy)), Some(settings));
        assert_eq!(settings_of(&row("garbage")), None);
    }

    fn composed() -> Composed {
        Composed {
            midi: Vec::new(),
            fingerprint: "music".into(),
            model_version: "piano-test".into(),
            seconds: 10.0,
            key: None,
        }
    }

    /// The piece goes to whoever owns the generation when it is stored: the
    /// account, once its visitor signed in.
    #[tokio::test]
    async fn a_piece_stored_after_its_visitor_signed_in_goes_to_the_account() {
        let dir = tempfile::tempdir().unwrap();
        let db = migrations::testing::migrated_database(dir.path()).await;
        let visitor = || Owner::Visitor("visitor key".into());
        let request = Request {
            settings: ComposeSettings::new("piano"),
            owner: visitor(),
        };
        let generations = Generations::new();
        let id = generations.record(&db, &request).await.unwrap();
        give_visitor_to(&db, "visitor key", 7).await.unwrap();
        let stored = lease::store_once(
            &db,
            id,
            &generations.instance,
            &request.settings,
            composed(),
        )
        .await
        .unwrap();
        assert!(stored.is_some());
        assert_eq!(pieces_of(&db, visitor()).await, 0);
        assert_eq!(pieces_of(&db, Owner::User(7)).await, 1);
        // The piece holds the settings now; the generation no longer does.
        let row = table::Entity::find_by_id(id)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.settings, None);
        let piece = stored.unwrap();
        let settings = crate::pieces::settings_for(&db, Some(&Owner::User(7)), piece).await;
        assert_eq!(settings.unwrap(), request.settings.clone().seeded(|| 0));
    }

    /// An instance that lost its lease (another took the generation over)
    /// stores nothing; the one holding it stores the piece once.
    #[tokio::test]
    async fn a_generation_taken_over_is_stored_once_by_the_instance_that_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = migrations::testing::migrated_database(dir.path()).await;
        let request = Request {
            settings: ComposeSettings::new("piano"),
            owner: Owner::User(3),
        };
        let (stopped, other) = (Generations::new(), Generations::new());
        let id = stopped.record(&db, &request).await.unwrap();
        // Fresh: nobody takes it.
        let stale_after = Duration::from_secs(60);
        assert!(
            lease::take_stale(&db, &other.instance, stale_after)
                .await
                .unwrap()
                .is_none()
        );
        // Stale: the other instance takes it, and only once.
        table::Entity::update_many()
            .col_expr(table::Column::UpdatedAt, Expr::value(now() - 120))
            .filter(table::Column::Id.eq(id))
            .exec(&db)
            .await
            .unwrap();
        let taken = lease::take_stale(&db, &other.instance, stale_after)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((taken.id, taken.attempts), (id, 1));
        let again = lease::take_stale(&db, &stopped.instance, stale_after).await;
        assert!(again.unwrap().is_none(), "taken twice");
        let store = |instance: String| {
            let (db, settings) = (&db, &request.settings);
            async move { lease::store_once(db, id, &instance, settings, composed()).await }
        };
        assert_eq!(store(stopped.instance.clone()).await.unwrap(), None);
        assert!(store(other.instance.clone()).await.unwrap().is_some());
        assert_eq!(
            store(other.instance.clone()).await.unwrap(),
            None,
            "stored twice"
        );
        assert_eq!(pieces_of(&db, Owner::User(3)).await, 1);
        let done = table::Entity::find_by_id(id)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(done.status, Status::Done);
        assert!(
            lease::take_stale(&db, &stopped.instance, Duration::ZERO)
                .await
                .unwrap()
                .is_none()
        );
    }
}
