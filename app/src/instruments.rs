//! The instruments page: which instruments can compose, and the settings form.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::error::{ErrorAlert, FieldMessage};
use crate::meta::PageMeta;

/// An instrument with a trained model, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstrumentInfo {
    /// Stable id, also the model's folder name.
    pub id: String,
    /// Name shown to people.
    pub name: String,
    /// Where its music fits an advertisement.
    pub use_case: String,
}

/// Lists the instruments that have a trained model in the models directory.
#[server]
pub async fn list_instruments() -> Result<Vec<InstrumentInfo>, AppError> {
    ssr::installed_instruments()
}

/// The settings form's fields, as text: what a person typed, what a piece
/// was composed with (to compose it again), and the form's query string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComposeSettings {
    /// Instrument id; empty for the first one listed.
    pub instrument: String,
    /// Length in whole seconds.
    pub length_seconds: String,
    /// Tempo in whole beats per minute.
    pub tempo_bpm: String,
    /// One of [`KEYS`], or empty for any key.
    pub key: String,
    /// `major`, `minor`, or empty for as composed.
    pub mode: String,
    /// Sampling temperature.
    pub creativity: String,
    /// A whole number, or empty for a new one.
    pub seed: String,
}

impl Default for ComposeSettings {
    /// One click composes a balanced 30-second piece at 100 BPM.
    fn default() -> ComposeSettings {
        ComposeSettings {
            instrument: String::new(),
            length_seconds: "30".into(),
            tempo_bpm: "100".into(),
            key: String::new(),
            mode: String::new(),
            creativity: "1".into(),
            seed: String::new(),
        }
    }
}

impl ComposeSettings {
    /// The settings named in a query string, the defaults for those it leaves out.
    fn from_query(query: &leptos_router::params::ParamsMap) -> ComposeSettings {
        let defaults = ComposeSettings::default();
        let field = |name: &str, default: String| query.get(name).unwrap_or(default);
        ComposeSettings {
            instrument: field("instrument", defaults.instrument),
            length_seconds: field("length_seconds", defaults.length_seconds),
            tempo_bpm: field("tempo_bpm", defaults.tempo_bpm),
            key: field("key", defaults.key),
            mode: field("mode", defaults.mode),
            creativity: field("creativity", defaults.creativity),
            seed: field("seed", defaults.seed),
        }
    }

    /// The settings as a query string.
    pub fn query(&self) -> String {
        serde_urlencoded::to_string(self).expect("text fields encode")
    }

    /// The instruments page with its form filled in with these settings.
    pub fn form_url(&self) -> String {
        crate::addresses::compose_form(&self.query())
    }
}

/// Queues a piece with the form's settings and goes to the page that follows
/// it until it is composed; the generation's id.
///
/// Every field arrives as the form's text so that each gets its own message.
#[server(endpoint = "compose")]
pub async fn compose(
    instrument: String,
    length_seconds: String,
    tempo_bpm: String,
    key: String,
    mode: String,
    creativity: String,
    seed: String,
) -> Result<i64, AppError> {
    let settings = ComposeSettings {
        instrument,
        length_seconds,
        tempo_bpm,
        key,
        mode,
        creativity,
        seed,
    };
    let id = ssr::queue(settings).await?;
    leptos_axum::redirect(&crate::addresses::generation(id));
    Ok(id)
}

/// Queues a new piece with the settings of piece `id` and a new seed, for
/// whoever asks, and goes to the page that follows it; the generation's id.
#[server(endpoint = "more_like_this")]
pub async fn more_like_this(id: i64) -> Result<i64, AppError> {
    let settings = ComposeSettings {
        seed: String::new(),
        ..ssr::settings_of_piece(id).await?
    };
    let id = ssr::queue(settings).await?;
    leptos_axum::redirect(&crate::addresses::generation(id));
    Ok(id)
}

#[cfg(feature = "ssr")]
mod ssr {
    use models::Instrument;
    use models::compose::generate::{Length, Settings};
    use models::music::key::Mode;

    use super::{ComposeSettings, InstrumentInfo, KEYS};
    use crate::account::ssr::Owner;
    use crate::ssr::generations;
    use crate::ssr::studio::Full;
    use crate::ssr::{find_piece, internal, piece_table, server_context};
    use crate::{AppError, FieldError};

    pub fn installed_instruments() -> Result<Vec<InstrumentInfo>, AppError> {
        let catalog = server_context()
            .studio
            .catalog()
            .map_err(|err| internal("The instrument list is unavailable right now.", &err))?;
        Ok(catalog
            .instruments
            .into_iter()
            .map(|instrument| InstrumentInfo {
                id: instrument.id().into(),
                name: instrument.display_name().into(),
                use_case: instrument.use_case().into(),
            })
            .collect())
    }

    /// The form's settings, each checked.
    #[derive(Debug, Clone, PartialEq)]
    pub struct ComposeRequest {
        pub instrument: Instrument,
        pub length_seconds: u32,
        pub tempo_bpm: u32,
        pub tonic: Option<u8>,
        pub mode: Option<Mode>,
        pub creativity: f64,
        pub seed: Option<u64>,
    }

    /// Seeds go up to 2^53 - 1, the largest integer a browser's number input keeps exactly.
    pub const MAX_SEED: u64 = (1 << 53) - 1;

    fn number<T: std::str::FromStr + PartialOrd + std::fmt::Display>(
        errors: &mut Vec<FieldError>,
        field: &str,
        text: &str,
        range: std::ops::RangeInclusive<T>,
        what: &str,
    ) -> Option<T> {
        let fail = |errors: &mut Vec<FieldError>| {
            errors.push(FieldError {
                field: field.to_owned(),
                message: format!("Enter {what} from {} to {}.", range.start(), range.end()),
            });
            None
        };
        match text.trim().parse::<T>() {
            Ok(value) if range.contains(&value) => Some(value),
            _ => fail(errors),
        }
    }

    impl ComposeSettings {
        /// The settings a stored piece was composed with, its seed included.
        pub fn of_piece(row: &piece_table::Model) -> ComposeSettings {
            ComposeSettings {
                instrument: row.instrument.clone(),
                length_seconds: row.length_seconds.to_string(),
                tempo_bpm: row.tempo_bpm.to_string(),
                key: row
                    .tonic
                    .and_then(|pc| KEYS.get(usize::try_from(pc).ok()?))
                    .map_or_else(String::new, |k| (*k).to_owned()),
                mode: row.mode.clone().unwrap_or_default(),
                creativity: row.creativity.to_string(),
                seed: row.seed.to_string(),
            }
        }

        /// Checks every field; the errors name each field at fault.
        pub fn validate(
            &self,
            installed: &[Instrument],
        ) -> Result<ComposeRequest, Vec<FieldError>> {
            let mut errors = Vec::new();
            let instrument =
                Instrument::from_id(self.instrument.trim()).filter(|i| installed.contains(i));
            if instrument.is_none() {
                errors.push(FieldError {
                    field: "instrument".into(),
                    message: "Choose one of the instruments listed.".into(),
                });
            }
            let length_seconds = number(
                &mut errors,
                "length_seconds",
                &self.length_seconds,
                10..=180,
                "a length in whole seconds",
            );
            let tempo_bpm = number(
                &mut errors,
                "tempo_bpm",
                &self.tempo_bpm,
                40..=220,
                "a tempo in whole beats per minute",
            );
            let tonic = match self.key.trim() {
                "" => Some(None),
                name => KEYS
                    .iter()
                    .position(|k| *k == name)
                    .map(|pc| Some(pc as u8)),
            };
            if tonic.is_none() {
                errors.push(FieldError {
                    field: "key".into(),
                    message: "Choose a key from the list, or any key.".into(),
                });
            }
            let mode = match self.mode.trim() {
                "" => Some(None),
                name => name.parse::<Mode>().ok().map(Some),
            };
            if mode.is_none() {
                errors.push(FieldError {
                    field: "mode".into(),
                    message: "Choose major, minor, or as composed.".into(),
                });
            }
            let creativity = number(
                &mut errors,
                "creativity",
                &self.creativity,
                0.5..=1.5,
                "a creativity",
            );
            let seed = match self.seed.trim() {
                "" => Some(None),
                text => number(&mut errors, "seed", text, 0..=MAX_SEED, "a whole number").map(Some),
            };
            match (
                instrument,
                length_seconds,
                tempo_bpm,
                tonic,
                mode,
                creativity,
                seed,
            ) {
                (
                    Some(instrument),
                    Some(length_seconds),
                    Some(tempo_bpm),
                    Some(tonic),
                    Some(mode),
                    Some(creativity),
                    Some(seed),
                ) if errors.is_empty() => Ok(ComposeRequest {
                    instrument,
                    length_seconds,
                    tempo_bpm,
                    tonic,
                    mode,
                    creativity,
                    seed,
                }),
                _ => Err(errors),
            }
        }
    }

    /// A seed for a piece whose form left it empty: different every time.
    fn fresh_seed() -> u64 {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let count = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        models::rng::Rng::derive(nanos, count) & MAX_SEED
    }

    /// The settings of stored piece `id`, or not found.
    pub async fn settings_of_piece(id: i64) -> Result<ComposeSettings, AppError> {
        let piece = find_piece(&server_context().db, id).await?;
        Ok(ComposeSettings::of_piece(&piece))
    }

    /// Validates the form, checks the rate limits and queues the piece;
    /// the generation's id.
    pub async fn queue(form: ComposeSettings) -> Result<i64, AppError> {
        let context = server_context();
        let installed = context
            .studio
            .catalog()
            .map_err(|err| internal("The instrument list is unavailable right now.", &err))?
            .instruments;
        let request = form.validate(&installed).map_err(AppError::Invalid)?;
        let owner = crate::account::ssr::owner(true)
            .await?
            .expect("an owner is created when asked for");
        let user = match owner {
            Owner::User(id) => Some(id),
            Owner::Visitor(_) => None,
        };
        context.limits.compose(&context.db, user).await?;
        let ticket = context.studio.admit().map_err(studio_busy)?;
        let seed = request.seed.unwrap_or_else(fresh_seed);
        let settings = Settings {
            length: Length::Seconds(f64::from(request.length_seconds)),
            bpm: f64::from(request.tempo_bpm),
            tonic: request.tonic,
            mode: request.mode,
            temperature: request.creativity,
            seed,
            ..Settings::default()
        };
        let generation = generations::Request {
            instrument: request.instrument,
            settings,
            form_query: ComposeSettings {
                seed: seed.to_string(),
                ..form
            }
            .query(),
            owner,
        };
        context
            .generations
            .start(&context, generation, ticket)
            .await
            .map_err(|err| internal("Your piece could not be queued. Please try again.", &err))
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
                crate::ssr::rate_limits::in_words(seconds)
            ),
            retry_after: seconds,
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn form() -> ComposeSettings {
            ComposeSettings {
                instrument: "piano".into(),
                ..ComposeSettings::default()
            }
        }

        fn messages(form: ComposeSettings) -> Vec<(String, String)> {
            form.validate(&[Instrument::Piano])
                .unwrap_err()
                .into_iter()
                .map(|e| (e.field, e.message))
                .collect()
        }

        #[test]
        fn the_default_form_is_valid() {
            let request = form().validate(&[Instrument::Piano]).unwrap();
            assert_eq!(request.instrument, Instrument::Piano);
            assert_eq!((request.length_seconds, request.tempo_bpm), (30, 100));
            assert_eq!(
                (request.tonic, request.mode, request.seed),
                (None, None, None)
            );
        }

        #[test]
        fn key_mode_and_seed_are_read() {
            let request = ComposeSettings {
                key: "E♭".into(),
                mode: "minor".into(),
                seed: " 42 ".into(),
                creativity: "0.75".into(),
                ..form()
            }
            .validate(&[Instrument::Piano])
            .unwrap();
            assert_eq!(request.tonic, Some(3));
            assert_eq!(request.mode, Some(Mode::Minor));
            assert_eq!(request.seed, Some(42));
            assert_eq!(request.creativity, 0.75);
        }

        #[test]
        fn every_bad_field_gets_its_own_message() {
            let errors = messages(ComposeSettings {
                instrument: "kazoo".into(),
                length_seconds: "5".into(),
                tempo_bpm: "fast".into(),
                key: "H".into(),
                mode: "lydian".into(),
                creativity: "3".into(),
                seed: "-1".into(),
            });
            let expected = [
                ("instrument", "Choose one of the instruments listed."),
                (
                    "length_seconds",
                    "Enter a length in whole seconds from 10 to 180.",
                ),
                (
                    "tempo_bpm",
                    "Enter a tempo in whole beats per minute from 40 to 220.",
                ),
                ("key", "Choose a key from the list, or any key."),
                ("mode", "Choose major, minor, or as composed."),
                ("creativity", "Enter a creativity from 0.5 to 1.5."),
                ("seed", "Enter a whole number from 0 to 9007199254740991."),
            ];
            let expected: Vec<_> = expected
                .iter()
                .map(|(f, m)| (f.to_string(), m.to_string()))
                .collect();
            assert_eq!(errors, expected);
        }

        #[test]
        fn a_stored_piece_gives_back_the_settings_it_was_composed_with() {
            let row = piece_table::Model {
                id: 1,
                instrument: "piano".into(),
                length_seconds: 45,
                tempo_bpm: 132,
                tonic: Some(3),
                mode: Some("minor".into()),
                creativity: 0.85,
                seed: 9_007_199_254_740_991,
                model_version: "piano-0123456789ab".into(),
                key_name: Some("E♭ minor".into()),
                seconds: 45.2,
                midi: Vec::new(),
                fingerprint: String::new(),
                created_at: 0,
                owner_id: None,
                visitor: None,
            };
            let settings = ComposeSettings::of_piece(&row);
            assert_eq!(settings.key, "E♭");
            let request = settings.validate(&[Instrument::Piano]).unwrap();
            assert_eq!(
                request,
                ComposeRequest {
                    instrument: Instrument::Piano,
                    length_seconds: 45,
                    tempo_bpm: 132,
                    tonic: Some(3),
                    mode: Some(Mode::Minor),
                    creativity: 0.85,
                    seed: Some(MAX_SEED),
                }
            );
            let any_key = ComposeSettings::of_piece(&piece_table::Model {
                tonic: None,
                mode: None,
                ..row
            });
            assert_eq!((any_key.key.as_str(), any_key.mode.as_str()), ("", ""));
        }

        #[test]
        fn an_instrument_without_a_model_is_refused() {
            let errors = messages(ComposeSettings {
                instrument: "violin".into(),
                ..form()
            });
            assert_eq!(errors[0].0, "instrument");
            assert_eq!(errors.len(), 1);
        }

        #[test]
        fn fresh_seeds_differ_and_fit_a_browser_number() {
            let (a, b) = (fresh_seed(), fresh_seed());
            assert_ne!(a, b);
            assert!(a <= MAX_SEED && b <= MAX_SEED);
        }
    }
}

/// The page listing instruments, with the settings for a new piece.
///
/// The query string may fill in the form (see [`ComposeSettings::form_url`]).
#[component]
pub fn InstrumentsPage() -> impl IntoView {
    let instruments = Resource::new(|| (), |_| list_instruments());
    let query = use_query_map();
    let initial = move || ComposeSettings::from_query(&query.read());

    view! {
        <PageMeta
            title="Instruments"
            description="Choose an instrument and set length, tempo, key and creativity: MixTape's neural network composes an original piece for your ad."
        />
        <section class="narrow">
            <h1>"Choose an instrument"</h1>
            <p class="lead">
                "Each instrument has its own neural network, trained on real music written for it."
            </p>
            <Suspense fallback=|| view! { <p role="status">"Loading instruments…"</p> }>
                {move || Suspend::new(async move {
                    match instruments.await {
                        Ok(list) => view! { <InstrumentChoice instruments=list initial=initial() /> }.into_any(),
                        Err(err) => view! { <ErrorAlert err class="error" /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The instrument cards (or the empty state) and the settings form.
#[component]
fn InstrumentChoice(instruments: Vec<InstrumentInfo>, initial: ComposeSettings) -> impl IntoView {
    let empty = instruments.is_empty();
    let cards = instruments.clone();

    view! {
        <Show
            when=move || !empty
            fallback=|| view! {
                <div class="empty-state" role="status">
                    <h2>"No instruments yet"</h2>
                    <p>"No trained model is installed on this server, so there is nothing to compose with yet. Please come back soon."</p>
                </div>
            }
        >
            <ul class="instrument-list">
                {cards
                    .iter()
                    .map(|instrument| view! {
                        <li class="instrument-card">
                            <h2>{instrument.name.clone()}</h2>
                            <p>{instrument.use_case.clone()}</p>
                        </li>
                    })
                    .collect_view()}
            </ul>
        </Show>
        <SettingsForm instruments initial />
    }
}

const KEYS: [&str; 12] = [
    "C",
    "C♯/D♭",
    "D",
    "E♭",
    "E",
    "F",
    "F♯/G♭",
    "G",
    "A♭",
    "A",
    "B♭",
    "B",
];

/// Describes a creativity (sampling temperature) value in words.
fn creativity_label(creativity: f32) -> &'static str {
    if creativity < 0.8 {
        "safe"
    } else if creativity <= 1.2 {
        "balanced"
    } else {
        "adventurous"
    }
}

/// The settings of a new piece, starting from `initial`; composing goes to
/// the piece's page.
#[component]
fn SettingsForm(instruments: Vec<InstrumentInfo>, initial: ComposeSettings) -> impl IntoView {
    let creativity = RwSignal::new(
        initial
            .creativity
            .parse::<f32>()
            .ok()
            .filter(|c| (0.5..=1.5).contains(c))
            .unwrap_or(1.0),
    );
    let disabled = instruments.is_empty();
    let compose = ServerAction::<Compose>::new();
    let pending = compose.pending();
    let error = Signal::derive(move || compose.value().get().and_then(|r| r.err()));
    let invalid = move |field: &'static str| {
        move || {
            error
                .get()
                .and_then(|err| err.field_message(field))
                .is_some()
                .to_string()
        }
    };
    // Errors that belong to no field (busy, failed) show under the button.
    let form_error = move || error.get().map(|err| err.to_string());

    view! {
        <ActionForm action=compose attr:class="settings-form" attr:aria-labelledby="settings-heading">
            <h2 id="settings-heading">"Settings"</h2>
            <div class="field">
                <label for="instrument">"Instrument"</label>
                <select id="instrument" name="instrument" disabled=disabled aria-invalid=invalid("instrument")>
                    {instruments
                        .into_iter()
                        .map(|i| {
                            let selected = i.id == initial.instrument;
                            view! { <option value=i.id selected=selected>{i.name}</option> }
                        })
                        .collect_view()}
                </select>
                <FieldMessage field="instrument" error />
            </div>
            <div class="field-row">
                <div class="field">
                    <label for="length">"Length (seconds)"</label>
                    <input id="length" name="length_seconds" type="number" min="10" max="180" step="1" value=initial.length_seconds required aria-invalid=invalid("length_seconds") />
                    <FieldMessage field="length_seconds" error />
                </div>
                <div class="field">
                    <label for="tempo">"Tempo (BPM)"</label>
                    <input id="tempo" name="tempo_bpm" type="number" min="40" max="220" step="1" value=initial.tempo_bpm required aria-invalid=invalid("tempo_bpm") />
                    <FieldMessage field="tempo_bpm" error />
                </div>
            </div>
            <div class="field-row">
                <div class="field">
                    <label for="key">"Key"</label>
                    <select id="key" name="key" aria-invalid=invalid("key")>
                        <option value="">"Any key"</option>
                        {KEYS
                            .iter()
                            .map(|k| view! { <option value=*k selected=*k == initial.key>{*k}</option> })
                            .collect_view()}
                    </select>
                    <FieldMessage field="key" error />
                </div>
                <div class="field">
                    <label for="mode">"Mode"</label>
                    <select id="mode" name="mode" aria-invalid=invalid("mode")>
                        <option value="">"As composed"</option>
                        <option value="major" selected=initial.mode == "major">"Major (bright)"</option>
                        <option value="minor" selected=initial.mode == "minor">"Minor (moody)"</option>
                    </select>
                    <FieldMessage field="mode" error />
                </div>
            </div>
            <div class="field">
                <label for="creativity">"Creativity"</label>
                <input
                    id="creativity"
                    name="creativity"
                    type="range"
                    min="0.5"
                    max="1.5"
                    step="0.05"
                    prop:value=move || creativity.get().to_string()
                    on:input=move |ev| {
                        if let Ok(value) = event_target_value(&ev).parse() {
                            creativity.set(value);
                        }
                    }
                    aria-describedby="creativity-value"
                    aria-invalid=invalid("creativity")
                />
                <output id="creativity-value" for="creativity">
                    {move || format!("{:.2} ({})", creativity.get(), creativity_label(creativity.get()))}
                </output>
                <FieldMessage field="creativity" error />
            </div>
            <div class="field">
                <label for="seed">"Seed (optional)"</label>
                <input id="seed" name="seed" type="number" min="0" max="9007199254740991" step="1" inputmode="numeric" placeholder="random" value=initial.seed aria-invalid=invalid("seed") />
                <p class="hint">"The same seed and settings compose the same piece again."</p>
                <FieldMessage field="seed" error />
            </div>
            <button type="submit" class="button button-primary" disabled=move || disabled || pending.get()>
                {move || if pending.get() { "Composing…" } else { "Compose" }}
            </button>
            <ComposingStatus pending />
            <Show when=move || form_error().is_some()>
                <p class="error" role="alert">{form_error}</p>
            </Show>
            <Show when=move || disabled>
                <p class="hint">"Composing opens as soon as an instrument model is installed."</p>
            </Show>
        </ActionForm>
    }
}

/// The progress bar and words shown while a piece is being composed.
#[component]
pub(crate) fn ComposingStatus(pending: Memo<bool>) -> impl IntoView {
    view! {
        <div class="compose-status" role="status" aria-live="polite">
            <Show when=move || pending.get()>
                <progress aria-label="Composing"></progress>
                " The neural network is composing your piece…"
            </Show>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::creativity_label;

    #[test]
    fn creativity_is_described_in_words() {
        assert_eq!(creativity_label(0.5), "safe");
        assert_eq!(creativity_label(1.0), "balanced");
        assert_eq!(creativity_label(1.2), "balanced");
        assert_eq!(creativity_label(1.5), "adventurous");
    }
}
