//! The instrument page's examples: a short piece of each instrument at each
//! energy, so that a customer hears the character before composing. Each is
//! composed by the instrument's model once per server process, on its first
//! request, with a fixed seed (so every instance composes the same music),
//! and its preview is rendered into the audio cache like a piece's. Their
//! addresses are `domain::instrument::InstrumentInfo::example_url`'s.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path as UrlPath, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use models::Instrument;
use models::compose::generate::{Length, Settings};
use models::music::{Energy, Meter};
use services::composer::Studio;
use tokio::sync::Mutex;

use crate::audio::files::{AudioFiles, Kind, serve_file};
use domain::error::AppError;

/// How long an example lasts: enough to hear a phrase, short enough to compare five.
pub const EXAMPLE_SECONDS: f64 = 12.0;
/// The seed of an instrument's examples; the level changes the music, not the seed.
const EXAMPLE_SEED: u64 = 2026;
/// Examples change only with the models, so browsers may keep them a day.
const CACHE_CONTROL: &str = "public, max-age=86400";

/// The MIDI files of the examples composed so far, by instrument and level.
type Composed = HashMap<(Instrument, Energy), Arc<Vec<u8>>>;

/// The examples composed so far.
#[derive(Clone, Default)]
pub struct Examples {
    midi: Arc<Mutex<Composed>>,
}

impl Examples {
    /// The MIDI file of the example of `instrument` at `energy`, composed on first use.
    async fn midi(
        &self,
        studio: &Studio,
        instrument: Instrument,
        energy: Energy,
    ) -> Result<Arc<Vec<u8>>, AppError> {
        // Held while composing, so that two first listeners compose it once.
        let mut composed = self.midi.lock().await;
        if let Some(midi) = composed.get(&(instrument, energy)) {
            return Ok(Arc::clone(midi));
        }
        let settings = Settings {
            length: Length::Seconds(EXAMPLE_SECONDS),
            meter: Meter::Common,
            energy,
            seed: EXAMPLE_SEED,
            ..Settings::default()
        };
        let ticket = studio.admit().map_err(|_| {
            AppError::Busy("MixTape is busy composing; try the example again in a moment.".into())
        })?;
        let piece = ticket
            .composer()
            .await
            .compose(instrument, settings)
            .await
            .map_err(|err| AppError::internal("This example could not be composed.", &err))?;
        let midi = Arc::new(piece.midi);
        composed.insert((instrument, energy), Arc::clone(&midi));
        Ok(midi)
    }
}

/// `GET /examples/{instrument}/{energy}.ogg`: the preview of an instrument's
/// example at one energy; not found for an instrument not installed or a
/// level outside 1 to 5.
pub async fn example(
    State(examples): State<Examples>,
    State(studio): State<Studio>,
    State(files): State<AudioFiles>,
    UrlPath((instrument, file)): UrlPath<(String, String)>,
    request: Request,
) -> Response {
    let answer = async {
        let (instrument, energy) = parse(&studio, &instrument, &file)?;
        let midi = examples.midi(&studio, instrument, energy).await?;
        let rendered = files
            .rendered(midi.as_ref().clone(), Kind::Preview)
            .await
            .map_err(|err| AppError::internal("This example could not be rendered.", &err))?;
        Ok::<_, AppError>(serve_file(rendered.as_ref(), request, CACHE_CONTROL).await)
    };
    answer.await.unwrap_or_else(|err| {
        let status =
            StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, format!("{err}\n")).into_response()
    })
}

/// The installed instrument and the level an example's address names.
fn parse(studio: &Studio, instrument: &str, file: &str) -> Result<(Instrument, Energy), AppError> {
    let missing = || AppError::NotFound("There is no such example.".into());
    let instrument = Instrument::from_id(instrument).ok_or_else(missing)?;
    let installed = studio
        .catalog()
        .map_err(|err| AppError::internal("The instrument list is unavailable right now.", &err))?;
    if !installed.instruments.contains(&instrument) {
        return Err(missing());
    }
    let energy = file
        .strip_suffix(".ogg")
        .and_then(|level| level.parse::<Energy>().ok())
        .ok_or_else(missing)?;
    Ok((instrument, energy))
}
