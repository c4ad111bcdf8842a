//! The instruments page: which instruments can compose, and the settings form.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::layout::PageMeta;

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

#[cfg(feature = "ssr")]
mod ssr {
    use super::InstrumentInfo;
    use crate::AppError;
    use crate::ssr::server_context;

    pub fn installed_instruments() -> Result<Vec<InstrumentInfo>, AppError> {
        let models_dir = server_context().models_dir;
        let catalog = models::Catalog::scan(&models_dir).map_err(|err| {
            tracing::error!(%err, "cannot list instrument models");
            AppError::Internal("The instrument list is unavailable right now.".into())
        })?;
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
}

/// The page listing instruments, with the settings for a new piece.
#[component]
pub fn InstrumentsPage() -> impl IntoView {
    let instruments = Resource::new(|| (), |_| list_instruments());

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
                        Ok(list) => view! { <InstrumentChoice instruments=list /> }.into_any(),
                        Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The instrument cards (or the empty state) and the settings form.
#[component]
fn InstrumentChoice(instruments: Vec<InstrumentInfo>) -> impl IntoView {
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
        <SettingsForm instruments />
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

/// The settings of a new piece. Composing is wired to it by the generation flow.
#[component]
fn SettingsForm(instruments: Vec<InstrumentInfo>) -> impl IntoView {
    let creativity = RwSignal::new(1.0_f32);
    let disabled = instruments.is_empty();

    view! {
        <form class="settings-form" aria-labelledby="settings-heading" on:submit=|ev| ev.prevent_default()>
            <h2 id="settings-heading">"Settings"</h2>
            <div class="field">
                <label for="instrument">"Instrument"</label>
                <select id="instrument" name="instrument" disabled=disabled>
                    {instruments
                        .into_iter()
                        .map(|i| view! { <option value=i.id>{i.name}</option> })
                        .collect_view()}
                </select>
            </div>
            <div class="field-row">
                <div class="field">
                    <label for="length">"Length (seconds)"</label>
                    <input id="length" name="length_seconds" type="number" min="10" max="180" step="1" value="30" />
                </div>
                <div class="field">
                    <label for="tempo">"Tempo (BPM)"</label>
                    <input id="tempo" name="tempo_bpm" type="number" min="40" max="220" step="1" value="100" />
                </div>
            </div>
            <div class="field-row">
                <div class="field">
                    <label for="key">"Key"</label>
                    <select id="key" name="key">
                        <option value="">"Any key"</option>
                        {KEYS.iter().map(|k| view! { <option value=*k>{*k}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="mode">"Mode"</label>
                    <select id="mode" name="mode">
                        <option value="major">"Major (bright)"</option>
                        <option value="minor">"Minor (moody)"</option>
                    </select>
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
                />
                <output id="creativity-value" for="creativity">
                    {move || format!("{:.2} ({})", creativity.get(), creativity_label(creativity.get()))}
                </output>
            </div>
            <div class="field">
                <label for="seed">"Seed (optional)"</label>
                <input id="seed" name="seed" type="number" min="0" step="1" inputmode="numeric" placeholder="random" />
                <p class="hint">"The same seed and settings compose the same piece again."</p>
            </div>
            <button type="submit" class="button button-primary" disabled=true aria-describedby="compose-note">
                "Compose"
            </button>
            <p id="compose-note" class="hint">
                {if disabled {
                    "Composing opens as soon as an instrument model is installed."
                } else {
                    "Composing opens with the next release of the studio."
                }}
            </p>
        </form>
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
