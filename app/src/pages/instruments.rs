//! The instruments page: which instruments can compose, and the settings form.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::alerts::{self, ErrorAlert, FieldMessage};
use crate::components::meta::PageMeta;
use crate::components::motif::MotifInput;
#[cfg(feature = "ssr")]
use crate::pages::request;
use domain::compose::{
    CREATIVITY, ComposeForm, ENERGY, Energy, KEYS, LENGTH_SECONDS, Meter, SEED, TEMPO_BPM,
    creativity_label,
};
use domain::error::AppError;
use domain::instrument::InstrumentInfo;
use domain::motif::MotifFile;
#[cfg(feature = "ssr")]
use services::{generations, motifs, pieces, sessions};

/// Lists the instruments that have a trained model in the models directory.
///
/// Named, as every server function is: an unnamed one's address carries a
/// hash that differed between the server `cargo test` builds and the wasm
/// `cargo leptos` builds, and the page's client-side list then failed.
#[server(endpoint = "list_instruments")]
pub async fn list_instruments() -> Result<Vec<InstrumentInfo>, AppError> {
    request::context().studio.instruments()
}

/// Queues a piece with the form's settings and goes to the page that follows
/// it until it is composed; the generation's id.
///
/// The fields arrive as the form's text so that each gets its own message.
#[server(endpoint = "compose")]
pub async fn compose(#[server(flatten)] form: ComposeForm) -> Result<i64, AppError> {
    match form.parse() {
        Ok(settings) => queue(settings).await,
        // The instrument is checked with the other fields, so that every
        // field at fault gets its message at once.
        Err(mut errors) => {
            let context = request::context();
            if let Some(error) = generations::instrument_error(&context, &form.instrument)? {
                errors.insert(0, error);
            }
            Err(AppError::Invalid(errors))
        }
    }
}

/// Reads a customer's MIDI file (base64) as the motif a piece starts from:
/// its opening notes, or the one message that says why it cannot be read.
#[server(endpoint = "read_motif", input = leptos::server_fn::codec::Json)]
pub async fn read_motif(midi_base64: String) -> Result<MotifFile, AppError> {
    let context = request::context();
    let session = request::session().await?;
    // Read for a session only, so that each reader is counted apart.
    let owner = sessions::owner_or_new_visitor(&session).await?;
    let client = request::client(&context).await;
    let file = motifs::read_counted(&context, &client, &owner, midi_base64).await?;
    sessions::keep(&session, &owner).await?;
    Ok(file)
}

/// Queues a new piece with the settings of piece `id` (one's own) and a new
/// seed, and goes to the page that follows it; the generation's id.
#[server(endpoint = "more_like_this")]
pub async fn more_like_this(id: i64) -> Result<i64, AppError> {
    let viewer = request::owner().await?;
    let settings = pieces::settings_for(&request::context().db, viewer.as_ref(), id).await?;
    queue(settings.without_seed()).await
}

/// Queues `settings` for whoever asks and redirects to the generation's page.
#[cfg(feature = "ssr")]
async fn queue(settings: domain::compose::ComposeSettings) -> Result<i64, AppError> {
    let context = request::context();
    let session = request::session().await?;
    let owner = sessions::owner_or_new_visitor(&session).await?;
    let client = request::client(&context).await;
    let id = generations::queue(&context, owner.clone(), &client, settings).await?;
    sessions::keep(&session, &owner).await?;
    leptos_axum::redirect(&crate::pages::addresses::generation(id));
    Ok(id)
}

/// The form filled in from a query string (see
/// [`ComposeSettings::form_url`](domain::compose::ComposeSettings::form_url)),
/// the defaults for the fields it leaves out.
fn form_from_query(query: &leptos_router::params::ParamsMap) -> ComposeForm {
    let defaults = ComposeForm::default();
    let field = |name: &str, default: String| query.get(name).unwrap_or(default);
    ComposeForm {
        instrument: field("instrument", defaults.instrument),
        length_seconds: field("length_seconds", defaults.length_seconds),
        tempo_bpm: field("tempo_bpm", defaults.tempo_bpm),
        meter: field("meter", defaults.meter),
        energy: field("energy", defaults.energy),
        // `key` in addresses from before the setting had its one name.
        tonic: query
            .get("tonic")
            .or_else(|| query.get("key"))
            .unwrap_or(defaults.tonic),
        mode: field("mode", defaults.mode),
        creativity: field("creativity", defaults.creativity),
        seed: field("seed", defaults.seed),
        motif: field("motif", defaults.motif),
    }
}

/// The page listing instruments, with the settings for a new piece.
///
/// The query string may fill in the form.
#[component]
pub fn InstrumentsPage() -> impl IntoView {
    let instruments = Resource::new(|| (), |_| list_instruments());
    let query = use_query_map();
    let initial = move || form_from_query(&query.read());

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
fn InstrumentChoice(instruments: Vec<InstrumentInfo>, initial: ComposeForm) -> impl IntoView {
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
                            <EnergyExamples instrument=instrument.clone() />
                        </li>
                    })
                    .collect_view()}
            </ul>
        </Show>
        <SettingsForm instruments initial />
    }
}

/// A short example of `instrument` at each energy, heard before composing.
#[component]
fn EnergyExamples(instrument: InstrumentInfo) -> impl IntoView {
    view! {
        <details class="examples">
            <summary>"Hear it from calm to lively"</summary>
            <ul>
                {Energy::all()
                    .map(|energy| {
                        let label = format!("{}, energy {energy} ({})", instrument.name, energy.name());
                        view! {
                            <li>
                                <span>{format!("{energy} · {}", energy.name())}</span>
                                <audio controls preload="none" src=instrument.example_url(energy) aria-label=label></audio>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </details>
    }
    // Erased, so that the page's view type stays within the compiler's depth.
    .into_any()
}

/// The settings of a new piece, starting from `initial`; composing goes to
/// the piece's page.
#[component]
fn SettingsForm(instruments: Vec<InstrumentInfo>, initial: ComposeForm) -> impl IntoView {
    let creativity = RwSignal::new(CREATIVITY.allowed_or_default(&initial.creativity));
    // The motif's keyboard measures and replays played notes at this tempo.
    let tempo = RwSignal::new(TEMPO_BPM.allowed_or_default(&initial.tempo_bpm));
    let read_file = Action::new(|midi: &String| read_motif(midi.clone()));
    let disabled = instruments.is_empty();
    // The meter field offers the meters of the instrument chosen.
    let chosen = RwSignal::new(
        instruments
            .iter()
            .find(|i| i.id == initial.instrument)
            .or(instruments.first())
            .map(|i| i.id.clone())
            .unwrap_or_default(),
    );
    let meters = instruments.clone();
    let compose = ServerAction::<Compose>::new();
    let pending = compose.pending();
    let error = Signal::derive(move || compose.value().get().and_then(|r| r.err()));
    let invalid = move |field: &'static str| alerts::invalid(error, field);
    // Errors that belong to no field (busy, failed) show under the button.
    let form_error = move || error.get().map(|err| err.to_string());

    view! {
        <ActionForm action=compose attr:class="settings-form" attr:aria-labelledby="settings-heading">
            <h2 id="settings-heading">"Settings"</h2>
            <div class="field">
                <label for="instrument">"Instrument"</label>
                <select id="instrument" name="instrument" disabled=disabled aria-invalid=invalid("instrument")
                    on:change=move |ev| chosen.set(event_target_value(&ev))
                >
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
                    <input id="length" name="length_seconds" type="number" min=LENGTH_SECONDS.min max=LENGTH_SECONDS.max step=LENGTH_SECONDS.step value=initial.length_seconds required aria-invalid=invalid("length_seconds") />
                    <FieldMessage field="length_seconds" error />
                </div>
                <div class="field">
                    <label for="tempo">"Tempo (BPM)"</label>
                    <input id="tempo" name="tempo_bpm" type="number" min=TEMPO_BPM.min max=TEMPO_BPM.max step=TEMPO_BPM.step value=initial.tempo_bpm.clone() required aria-invalid=invalid("tempo_bpm")
                        on:input=move |ev| {
                            if let Some(bpm) = event_target_value(&ev).parse::<u32>().ok().filter(|t| TEMPO_BPM.contains(*t)) {
                                tempo.set(bpm);
                            }
                        }
                    />
                    <FieldMessage field="tempo_bpm" error />
                </div>
            </div>
            <div class="field-row">
                <MeterField instruments=meters chosen initial=initial.meter.clone() error />
                <EnergyField initial=initial.energy.clone() error />
            </div>
            <div class="field-row">
                <div class="field">
                    <label for="tonic">"Key"</label>
                    <select id="tonic" name="tonic" aria-invalid=invalid("tonic")>
                        <option value="">"Any key"</option>
                        {KEYS
                            .iter()
                            .map(|k| view! { <option value=*k selected=*k == initial.tonic>{*k}</option> })
                            .collect_view()}
                    </select>
                    <FieldMessage field="tonic" error />
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
                    min=CREATIVITY.min
                    max=CREATIVITY.max
                    step=CREATIVITY.step
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
                <input id="seed" name="seed" type="number" min=SEED.min max=SEED.max step=SEED.step inputmode="numeric" placeholder="random" value=initial.seed aria-invalid=invalid("seed") />
                <p class="hint">"The same seed and settings compose the same piece again."</p>
                <FieldMessage field="seed" error />
            </div>
            <MotifInput initial=initial.motif.clone() tempo=tempo.into() error read_file />
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

/// The meter: only those the chosen instrument's model composes in, the
/// `initial` one kept while the instrument knows it.
#[component]
fn MeterField(
    instruments: Vec<InstrumentInfo>,
    chosen: RwSignal<String>,
    initial: String,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let initial = initial.parse::<Meter>().unwrap_or_default();
    let offered = move || {
        chosen.with(|id| {
            instruments
                .iter()
                .find(|i| &i.id == id)
                .map_or_else(|| vec![Meter::Common], |i| i.meters.clone())
        })
    };
    let hint = |meter: Meter| match meter {
        Meter::Common => "4/4 (march, pop)",
        Meter::Triple => "3/4 (waltz)",
        Meter::Compound => "6/8 (jig; tempo in dotted quarters)",
    };
    view! {
        <div class="field">
            <label for="meter">"Meter"</label>
            <select id="meter" name="meter" aria-invalid=alerts::invalid(error, "meter")>
                {move || {
                    offered()
                        .into_iter()
                        .map(|m| view! { <option value=m.name() selected=m == initial>{hint(m)}</option> })
                        .collect_view()
                }}
            </select>
            <FieldMessage field="meter" error />
        </div>
    }
}

/// Energy, from calm to lively, with its level's word.
#[component]
fn EnergyField(initial: String, error: Signal<Option<AppError>>) -> impl IntoView {
    let energy = RwSignal::new(ENERGY.allowed_or_default(&initial));
    let word = move || Energy::new(energy.get()).map_or("", Energy::name);
    view! {
        <div class="field">
            <label for="energy">"Energy"</label>
            <input
                id="energy"
                name="energy"
                type="range"
                min=ENERGY.min
                max=ENERGY.max
                step=ENERGY.step
                prop:value=move || energy.get().to_string()
                on:input=move |ev| {
                    if let Ok(value) = event_target_value(&ev).parse() {
                        energy.set(value);
                    }
                }
                aria-describedby="energy-value"
                aria-invalid=alerts::invalid(error, "energy")
            />
            <output id="energy-value" for="energy">{move || format!("{} ({})", energy.get(), word())}</output>
            <FieldMessage field="energy" error />
        </div>
    }
}

/// The progress bar and words shown while a piece is being composed.
#[component]
pub fn ComposingStatus(pending: Memo<bool>) -> impl IntoView {
    view! {
        <div class="compose-status" role="status" aria-live="polite">
            <Show when=move || pending.get()>
                <progress aria-label="Composing"></progress>
                " The neural network is composing your piece…"
            </Show>
        </div>
    }
}
