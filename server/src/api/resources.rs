//! What the API answers: its representations of instruments, generations and
//! pieces, built from the services' domain types, with links between them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use domain::card::CardForm;
use domain::compose::{self, ComposeSettings, Limits, Mode, RequestedSettings};
use domain::generation::GenerationState;
use domain::instrument::InstrumentInfo;
use domain::piece::{PieceSummary, PieceView, SaleState};
use services::{ServerContext, motifs};

use crate::api::Caller;
use domain::error::{AppError, FieldError};

/// The API's address prefix.
pub const PREFIX: &str = "/api/v1";

/// A setting's range, step and default.
#[derive(Debug, Serialize, ToSchema)]
pub struct Range {
    /// The smallest value allowed.
    pub min: f64,
    /// The largest value allowed.
    pub max: f64,
    /// The step between values.
    pub step: f64,
    /// The value when the request leaves the setting out.
    pub default: f64,
}

impl<T: Into<f64> + Copy> From<Limits<T>> for Range {
    fn from(limits: Limits<T>) -> Range {
        Range {
            min: limits.min.into(),
            max: limits.max.into(),
            step: limits.step.into(),
            default: limits.default.into(),
        }
    }
}

/// The limits of each compose setting.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingLimits {
    /// Length in whole seconds.
    pub length_seconds: Range,
    /// Tempo in whole beats per minute (dotted quarters in 6/8).
    pub tempo_bpm: Range,
    /// Energy, 1 calm to 5 lively: how many notes per beat, how loud and how wide.
    pub energy: Range,
    /// The meters; each instrument lists those its model composes in
    /// (`meters`), and `meter` must be one of them.
    #[schema(value_type = Vec<String>, example = json!(["4/4", "3/4", "6/8"]))]
    pub meters: Vec<compose::Meter>,
    /// How much surprise melody and rhythm may have.
    pub creativity: Range,
    /// Leave the seed out for a new piece each time; the same seed and
    /// settings compose the same piece again.
    pub seed: Range,
    /// The tonics by pitch class: `tonic` 0 is the first (C), 11 the last (B);
    /// leave `tonic` out for any key.
    pub tonics: Vec<String>,
    /// The modes; leave `mode` out for the mode the piece is composed in.
    pub modes: Vec<Mode>,
}

/// `GET /instruments`: what can compose, and the settings' limits.
#[derive(Debug, Serialize, ToSchema)]
pub struct Instruments {
    /// The instruments with a trained model; `id` is the `instrument` setting.
    pub instruments: Vec<InstrumentInfo>,
    /// The limits of every setting.
    pub settings: SettingLimits,
}

impl Instruments {
    /// The instruments `instruments` with the settings' limits.
    pub fn new(instruments: Vec<InstrumentInfo>) -> Instruments {
        let seed = compose::SEED;
        Instruments {
            instruments,
            settings: SettingLimits {
                length_seconds: compose::LENGTH_SECONDS.into(),
                tempo_bpm: compose::TEMPO_BPM.into(),
                energy: compose::ENERGY.into(),
                meters: compose::Meter::ALL.to_vec(),
                creativity: compose::CREATIVITY.into(),
                // 2^53 - 1 is exact as a JSON number.
                seed: Range {
                    min: seed.min as f64,
                    max: seed.max as f64,
                    step: 1.0,
                    default: 0.0,
                },
                tonics: compose::KEYS.iter().map(|k| (*k).to_owned()).collect(),
                modes: vec![Mode::Major, Mode::Minor],
            },
        }
    }
}

/// Where a generation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Progress {
    /// Waiting for a composer; `ahead` pieces go first.
    Queued,
    /// Being composed.
    Composing,
    /// Composed: `piece_id` is the piece.
    Done,
    /// Not composed; `message` says why.
    Failed,
}

/// A requested piece on its way. Poll its `self` link until it is done or failed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Generation {
    /// Its id.
    pub id: i64,
    /// Where it is.
    pub status: Progress,
    /// While queued: pieces that will be composed before it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ahead: Option<u64>,
    /// Once done: the piece.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub piece_id: Option<i64>,
    /// Once failed: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Its own address, and the piece's once done.
    pub links: GenerationLinks,
}

/// A generation's links.
#[derive(Debug, Serialize, ToSchema)]
pub struct GenerationLinks {
    /// This generation.
    #[serde(rename = "self")]
    pub this: String,
    /// The piece, once done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub piece: Option<String>,
}

/// The API address of generation `id`.
pub fn generation_url(id: i64) -> String {
    format!("{PREFIX}/generations/{id}")
}

/// The API address of piece `id`.
pub fn piece_url(id: i64) -> String {
    format!("{PREFIX}/pieces/{id}")
}

impl Generation {
    /// Generation `id` in `state`.
    pub fn new(id: i64, state: GenerationState) -> Generation {
        let (status, ahead, piece_id, message) = match state {
            GenerationState::Queued { ahead } => (Progress::Queued, Some(ahead), None, None),
            GenerationState::Composing => (Progress::Composing, None, None, None),
            GenerationState::Done { piece_id } => (Progress::Done, None, Some(piece_id), None),
            GenerationState::Failed { message, .. } => {
                (Progress::Failed, None, None, Some(message))
            }
        };
        Generation {
            id,
            status,
            ahead,
            piece_id,
            message,
            links: GenerationLinks {
                this: generation_url(id),
                piece: piece_id.map(piece_url),
            },
        }
    }
}

/// Whether a piece's exclusive rights can be bought.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SaleStatus {
    /// Nobody bought it; `price` is what it costs.
    ForSale,
    /// Nobody bought it, but its music is too close to a piece already sold.
    TooClose,
    /// A payment for it is going through.
    Pending,
    /// You bought it, under `copyright_id`.
    Owned,
}

/// A piece's rights.
#[derive(Debug, Serialize, ToSchema)]
pub struct Sale {
    /// Whether it can be bought.
    pub status: SaleStatus,
    /// What it costs, while for sale, such as `EUR 49.00`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    /// The copyright ID, once sold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copyright_id: Option<String>,
}

/// A piece's links: where to listen, buy and download.
#[derive(Debug, Serialize, ToSchema)]
pub struct PieceLinks {
    /// This piece.
    #[serde(rename = "self")]
    pub this: String,
    /// Its page on the site.
    pub page: String,
    /// The preview (Ogg Vorbis), with your key.
    pub preview: String,
    /// Where to buy it, while for sale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purchase: Option<String>,
    /// The full WAV, once you own it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wav: Option<String>,
    /// The MIDI file, once you own it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub midi: Option<String>,
    /// The licence certificate, once you own it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
}

/// One of your pieces.
#[derive(Debug, Serialize, ToSchema)]
pub struct Piece {
    /// Its id.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// The instrument's name.
    pub instrument: String,
    /// Length in seconds.
    pub seconds: f64,
    /// The key it is in, such as `D minor`.
    pub key_name: Option<String>,
    /// The model that composed it.
    pub model_version: String,
    /// The settings it was composed with, its seed included.
    pub settings: ComposeSettings,
    /// Its rights.
    pub sale: Sale,
    /// Where to listen, buy and download.
    pub links: PieceLinks,
}

impl From<PieceView> for Piece {
    fn from(view: PieceView) -> Piece {
        let id = view.id;
        let (status, price, copyright_id) = match view.sale {
            SaleState::ForSale(price) => (SaleStatus::ForSale, Some(price), None),
            SaleState::TooClose => (SaleStatus::TooClose, None, None),
            SaleState::Pending => (SaleStatus::Pending, None, None),
            SaleState::Yours(id) => (SaleStatus::Owned, None, Some(id)),
        };
        let owned = status == SaleStatus::Owned;
        let file = |name: &str| owned.then(|| format!("{}/{name}", piece_url(id)));
        Piece {
            id,
            title: view.title,
            instrument: view.instrument,
            seconds: view.seconds,
            key_name: view.key_name,
            model_version: view.model_version,
            settings: view.settings,
            links: PieceLinks {
                this: piece_url(id),
                page: format!("/pieces/{id}"),
                preview: format!("{}/preview.ogg", piece_url(id)),
                purchase: (status == SaleStatus::ForSale)
                    .then(|| format!("{}/purchase", piece_url(id))),
                wav: file("full.wav"),
                midi: file("piece.mid"),
                certificate: file("certificate"),
            },
            sale: Sale {
                status,
                price,
                copyright_id,
            },
        }
    }
}

/// A page of your pieces, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PieceList {
    /// The pieces on this page.
    pub pieces: Vec<PieceSummary>,
    /// This page's number, from 1.
    pub page: u64,
    /// How many pages there are (at least 1).
    pub pages: u64,
}

/// The query of `GET /pieces`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The page, from 1 (the first when left out).
    pub page: Option<u64>,
}

/// `POST /pieces`: the settings, the motif among them as notes (`motif`) or
/// as a MIDI file (`motif_midi`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ComposeRequest {
    /// What to compose; whatever is left out takes its default.
    #[serde(flatten)]
    pub settings: RequestedSettings,
    /// A standard MIDI file of at most 1 MiB, as base64, whose opening (at
    /// most 128 notes within 8 bars) is the motif the piece starts from;
    /// instead of `motif`.
    #[serde(default)]
    pub motif_midi: Option<String>,
}

/// The field of a motif sent as a MIDI file.
const MOTIF_MIDI_FIELD: &str = "motif_midi";

impl ComposeRequest {
    /// The settings, checked against the product's limits, with the motif
    /// read from `motif_midi` when one was sent (counted against the motif
    /// limit for `caller` before it is decoded); a file that cannot be read,
    /// or a motif sent both ways, is invalid.
    pub async fn into_settings(
        self,
        context: &ServerContext,
        caller: &Caller,
    ) -> Result<ComposeSettings, AppError> {
        let Some(midi) = self.motif_midi else {
            return self.settings.validate().map_err(AppError::Invalid);
        };
        if self.settings.motif.is_some() {
            return Err(AppError::Invalid(vec![FieldError::new(
                MOTIF_MIDI_FIELD,
                "Send the motif as notes (`motif`) or as a MIDI file (`motif_midi`), not both.",
            )]));
        }
        let file = motifs::read_counted(context, &caller.client(), &caller.owner(), midi)
            .await
            .map_err(|err| match err {
                AppError::Invalid(fields) => AppError::Invalid(
                    fields
                        .into_iter()
                        .map(|f| FieldError::new(MOTIF_MIDI_FIELD, f.message))
                        .collect(),
                ),
                other => other,
            })?;
        RequestedSettings {
            motif: Some(file.motif),
            ..self.settings
        }
        .validate()
        .map_err(AppError::Invalid)
    }
}

/// `POST /pieces/{id}/purchase`: the card, and whom the certificate names.
#[derive(Deserialize, ToSchema)]
pub struct PurchaseRequest {
    /// The card (the sandbox gateway: no real card is charged).
    #[serde(flatten)]
    pub card: CardForm,
    /// Whom the certificate names; the account's name when left out.
    #[serde(default)]
    pub licensee: String,
}
