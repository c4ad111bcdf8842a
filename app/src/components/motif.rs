//! The motif a piece starts from, given on the instruments page: played on an
//! on-screen keyboard (pointer, touch or the computer's keys), each key
//! sounding through Web Audio, or read from the customer's MIDI file; shown
//! as a small piano roll, replayed or cleared, and sent with the form.

use std::collections::HashMap;

use leptos::prelude::*;

use domain::compose::MOTIF_FIELD;
use domain::error::AppError;
use domain::motif::{Motif, MotifFile, beats_text};

/// The keyboard's lowest key: middle C.
const LOWEST: u8 = 60;
/// The keyboard's keys: two octaves from middle C and the C above them.
const KEYS: u8 = 25;
/// The computer keys that play the keyboard, by `KeyboardEvent.code` so that
/// they lie where a piano's keys do whatever the layout: the row from A is
/// the white keys from middle C, the row above it the black keys.
const COMPUTER_KEYS: [&str; 18] = [
    "KeyA",
    "KeyW",
    "KeyS",
    "KeyE",
    "KeyD",
    "KeyF",
    "KeyT",
    "KeyG",
    "KeyY",
    "KeyH",
    "KeyU",
    "KeyJ",
    "KeyK",
    "KeyO",
    "KeyL",
    "KeyP",
    "Semicolon",
    "Quote",
];
/// Pitch classes of the black keys.
const BLACK: [u8; 5] = [1, 3, 6, 8, 10];

fn is_black(pitch: u8) -> bool {
    BLACK.contains(&(pitch % 12))
}

/// A pitch's name with its octave, as a key's label says it (60 is C4).
fn note_name(pitch: u8) -> String {
    format!(
        "{}{}",
        vocabulary::names::KEYBOARD[usize::from(pitch % 12)],
        i32::from(pitch / 12) - 1
    )
}

/// The pitch a computer key plays, if any.
fn pitch_of_code(code: &str) -> Option<u8> {
    COMPUTER_KEYS
        .iter()
        .position(|c| *c == code)
        .and_then(|i| u8::try_from(i).ok())
        .map(|i| LOWEST + i)
}

/// The words under the keyboard for `motif` at `bpm`.
pub fn summary(motif: Option<&Motif>, bpm: u32) -> String {
    match motif {
        None => "No motif: the piece starts from scratch.".to_owned(),
        Some(motif) => {
            let notes = motif.notes().len();
            let beats = motif.beats();
            format!(
                "Your motif: {notes} note{}, {} beat{} ({:.1} s at {bpm} BPM).",
                if notes == 1 { "" } else { "s" },
                beats_text(beats, 2),
                if (beats - 1.0).abs() < 1e-9 { "" } else { "s" },
                motif.seconds_at(bpm),
            )
        }
    }
}

/// Sound in the browser: one oscillator per sounding key. The audio context
/// and the voices are the page's (a browser runs it on one thread), kept out
/// of the reactive graph, which a server rendering the page drops on any
/// thread.
#[cfg(feature = "hydrate")]
mod sound {
    use std::cell::RefCell;
    use std::collections::HashMap;

    use wasm_bindgen::JsValue;
    use web_sys::{AudioContext, GainNode, OscillatorNode, OscillatorType};

    use domain::motif::Motif;

    /// A sounding note.
    struct Voice {
        oscillator: OscillatorNode,
        gain: GainNode,
    }

    thread_local! {
        static AUDIO: RefCell<Option<AudioContext>> = const { RefCell::new(None) };
        static VOICES: RefCell<HashMap<u8, Voice>> = RefCell::new(HashMap::new());
    }

    /// Runs `act` with the page's audio, made on the first key (browsers
    /// allow sound only after a gesture); nothing where there is no audio.
    fn with_audio(act: impl FnOnce(&AudioContext) -> Result<(), JsValue>) {
        AUDIO.with_borrow_mut(|audio| {
            if audio.is_none() {
                *audio = AudioContext::new().ok();
            }
            if let Some(audio) = audio {
                let _ = audio.resume();
                // Sound is a courtesy: a browser that refuses it still records.
                let _ = act(audio);
            }
        });
    }

    fn frequency(pitch: u8) -> f32 {
        440.0 * 2f32.powf((f32::from(pitch) - 69.0) / 12.0)
    }

    /// A note of `pitch` from `at` seconds of the context's clock.
    fn start(audio: &AudioContext, pitch: u8, at: f64) -> Result<Voice, JsValue> {
        let oscillator = audio.create_oscillator()?;
        oscillator.set_type(OscillatorType::Triangle);
        oscillator.frequency().set_value(frequency(pitch));
        let gain = audio.create_gain()?;
        let level = gain.gain();
        level.set_value_at_time(0.0, at)?;
        level.linear_ramp_to_value_at_time(0.25, at + 0.01)?;
        // A piano's decay: a held key fades rather than droning.
        level.set_target_at_time(0.08, at + 0.01, 0.6)?;
        oscillator.connect_with_audio_node(&gain)?;
        gain.connect_with_audio_node(&audio.destination())?;
        oscillator.start_with_when(at)?;
        Ok(Voice { oscillator, gain })
    }

    /// Lets `voice` die away from `at`.
    fn release(voice: &Voice, at: f64) -> Result<(), JsValue> {
        let level = voice.gain.gain();
        level.cancel_scheduled_values(at)?;
        level.set_target_at_time(0.0, at, 0.05)?;
        voice.oscillator.stop_with_when(at + 0.4)
    }

    /// Sounds `pitch` until [`key_up`].
    pub fn key_down(pitch: u8) {
        with_audio(|audio| {
            let voice = start(audio, pitch, audio.current_time())?;
            if let Some(old) = VOICES.with_borrow_mut(|voices| voices.insert(pitch, voice)) {
                release(&old, audio.current_time())?;
            }
            Ok(())
        });
    }

    /// Stops the sound of `pitch`.
    pub fn key_up(pitch: u8) {
        with_audio(
            |audio| match VOICES.with_borrow_mut(|voices| voices.remove(&pitch)) {
                Some(voice) => release(&voice, audio.current_time()),
                None => Ok(()),
            },
        );
    }

    /// Plays `motif` with beats of `beat` seconds.
    pub fn play(motif: &Motif, beat: f64) {
        with_audio(|audio| {
            let now = audio.current_time() + 0.05;
            for note in motif.notes() {
                let at = now + note.start * beat;
                release(&start(audio, note.pitch, at)?, at + note.length * beat)?;
            }
            Ok(())
        });
    }
}

/// The keyboard, the file choice and what was given, and the hidden `motif`
/// field the compose form sends.
#[component]
pub fn MotifInput(
    /// The motif the form starts with, as the form's text (empty for none).
    initial: String,
    /// The form's tempo, at which played notes are measured and replayed.
    tempo: Signal<u32>,
    /// The compose action's last error, whose motif message shows here.
    error: Signal<Option<AppError>>,
    /// Reads a MIDI file, sent as base64, as a motif (on the server, with
    /// the models' reader).
    read_file: Action<String, Result<MotifFile, AppError>>,
) -> impl IntoView {
    // The notes played so far, each (pitch, pressed, released) in ms.
    let played = RwSignal::new(Vec::<(u8, f64, f64)>::new());
    // A motif from a file (or the address), used while nothing is played.
    let given = RwSignal::new(initial.parse::<Motif>().ok());
    let file_note = RwSignal::new(None::<String>);
    let file_error = RwSignal::new(None::<String>);
    // Reading the file's bytes in the browser, before the server reads them.
    let loading = RwSignal::new(false);
    let reading = move || loading.get() || read_file.pending().get();
    // What the server made of the latest file.
    Effect::new(move |_| match read_file.value().get() {
        Some(Ok(file)) => {
            played.set(Vec::new());
            given.set(Some(file.motif));
            file_note.set(file.note);
        }
        Some(Err(err)) => file_error.set(Some(
            err.field_message(MOTIF_FIELD)
                .unwrap_or_else(|| err.to_string()),
        )),
        None => {}
    });
    // Keys held down now, with when they were pressed.
    let held = RwSignal::new(HashMap::<u8, f64>::new());
    let keyboard = NodeRef::<leptos::html::Div>::new();
    let motif = Memo::new(move |_| {
        let notes = played.get();
        if notes.is_empty() {
            given.get()
        } else {
            Motif::from_played(&notes, f64::from(tempo.get()))
        }
    });
    let text = move || motif.get().map(|m| m.to_string()).unwrap_or_default();
    let message = move || {
        file_error
            .get()
            .or_else(|| error.get().and_then(|err| err.field_message(MOTIF_FIELD)))
    };

    let press = move |pitch: u8| {
        if held.with_untracked(|h| h.contains_key(&pitch)) {
            return;
        }
        #[cfg(feature = "hydrate")]
        {
            sound::key_down(pitch);
            held.update(|h| {
                h.insert(pitch, js_sys::Date::now());
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = pitch;
    };
    let release = move |pitch: u8| {
        let Some(pressed) = held.try_update(|h| h.remove(&pitch)).flatten() else {
            return;
        };
        #[cfg(feature = "hydrate")]
        {
            sound::key_up(pitch);
            // A new recording replaces a motif from a file.
            if played.with_untracked(Vec::is_empty) {
                given.set(None);
                file_note.set(None);
            }
            file_error.set(None);
            played.update(|p| p.push((pitch, pressed, js_sys::Date::now())));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = pressed;
    };
    let release_all = move || {
        for pitch in held.get_untracked().into_keys() {
            release(pitch);
        }
    };
    let clear = move |_| {
        release_all();
        played.set(Vec::new());
        given.set(None);
        file_note.set(None);
        file_error.set(None);
    };
    let replay = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(motif) = motif.get_untracked() {
            sound::play(&motif, 60.0 / f64::from(tempo.get_untracked().max(1)));
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent, down: bool| {
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        let Some(pitch) = pitch_of_code(&ev.code()) else {
            return;
        };
        ev.prevent_default();
        if down {
            if !ev.repeat() {
                press(pitch);
            }
        } else {
            release(pitch);
        }
    };
    let on_file = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use base64::Engine;
            use wasm_bindgen::JsCast;

            use domain::motif::{MAX_FILE_BYTES, too_large};

            let Some(input) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            else {
                return;
            };
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            // Refused here, before a byte is sent; the server checks again.
            let bytes = file.size() as usize;
            if bytes > MAX_FILE_BYTES {
                file_error.set(Some(too_large(bytes)));
                input.set_value("");
                return;
            }
            file_error.set(None);
            loading.set(true);
            // The same file chosen again is a change too.
            input.set_value("");
            leptos::task::spawn_local(async move {
                let read = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await;
                loading.set(false);
                match read {
                    Ok(buffer) => {
                        let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                        read_file.dispatch(base64::engine::general_purpose::STANDARD.encode(bytes));
                    }
                    Err(_) => file_error.set(Some(
                        "The file could not be read. Choose it again.".to_owned(),
                    )),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };

    let whites: Vec<u8> = (LOWEST..LOWEST + KEYS).filter(|p| !is_black(*p)).collect();
    let white_count = whites.len() as f64;
    let key_view = move |pitch: u8| {
        let black = is_black(pitch);
        // A black key sits over the line between the white keys either side.
        let style = black.then(|| {
            let whites_below = (LOWEST..pitch).filter(|p| !is_black(*p)).count() as f64;
            format!("left: {:.3}%", whites_below / white_count * 100.0)
        });
        let name = note_name(pitch);
        let label = name.clone();
        view! {
            <button
                type="button"
                class=if black { "key black" } else { "key white" }
                class:down=move || held.with(|h| h.contains_key(&pitch))
                style=style
                data-pitch=pitch.to_string()
                aria-label=label
                tabindex="-1"
                on:pointerdown=move |ev: leptos::ev::PointerEvent| {
                    // No text selection or focus on the key: the keyboard
                    // takes the focus, so that the computer's keys play next.
                    ev.prevent_default();
                    if let Some(keyboard) = keyboard.get_untracked() {
                        let _ = keyboard.focus();
                    }
                    press(pitch);
                }
                on:pointerup=move |_| release(pitch)
                on:pointerleave=move |_| release(pitch)
                on:pointercancel=move |_| release(pitch)
            >
                <span class="key-name" aria-hidden="true">{pitch.is_multiple_of(12).then_some(name)}</span>
            </button>
        }
    };

    view! {
        <fieldset class="field motif-input" aria-describedby="motif-summary">
            <legend>"Start from your motif (optional)"</legend>
            <p class="hint">
                "Play a few notes (click or touch the keys, or type on the row from A to ’ after clicking the keyboard), or upload a MIDI file: the piece continues it, in its key and meter."
            </p>
            <input type="hidden" name="motif" value=text />
            <div
                node_ref=keyboard
                class="keyboard"
                role="group"
                aria-label="Keyboard: two octaves from middle C"
                tabindex="0"
                on:keydown=move |ev| on_key(ev, true)
                on:keyup=move |ev| on_key(ev, false)
                on:blur=move |_| release_all()
            >
                {whites.iter().map(|p| key_view(*p)).collect_view()}
                {(LOWEST..LOWEST + KEYS).filter(|p| is_black(*p)).map(key_view).collect_view()}
            </div>
            <MotifRoll motif=motif.into() />
            <p id="motif-summary" class="motif-summary" data-testid="motif-summary" aria-live="polite">
                {move || summary(motif.get().as_ref(), tempo.get())}
                {move || file_note.get().map(|note| format!(" {note}"))}
            </p>
            <div class="motif-actions">
                <button type="button" class="button" on:click=replay disabled=move || motif.get().is_none()>
                    "Play it back"
                </button>
                <button type="button" class="button" on:click=clear disabled=move || motif.get().is_none()>
                    "Clear"
                </button>
                <label class="button motif-file">
                    {move || if reading() { "Reading…" } else { "Upload a MIDI file" }}
                    <input
                        type="file"
                        name="motif_file"
                        accept=".mid,.midi,audio/midi,audio/x-midi"
                        aria-invalid=move || message().is_some().to_string()
                        on:change=on_file
                    />
                </label>
            </div>
            <Show when=move || message().is_some()>
                <p class="field-error" id="motif-error" role="alert">{message}</p>
            </Show>
        </fieldset>
    }
}

/// The motif as a small piano roll.
#[component]
fn MotifRoll(motif: Signal<Option<Motif>>) -> impl IntoView {
    const WIDTH: f64 = 400.0;
    const ROW: f64 = 4.0;
    let view_of = move || {
        let motif = motif.get()?;
        let notes = motif.notes();
        let low = notes.iter().map(|n| n.pitch).min()?.saturating_sub(1);
        let high = notes.iter().map(|n| n.pitch).max()?.saturating_add(1);
        let height = f64::from(high - low + 1) * ROW;
        // At least a bar wide, so that a few notes do not fill the roll.
        let span = motif.beats().max(4.0);
        let rects = notes
            .iter()
            .map(|n| {
                view! {
                    <rect
                        class="motif-note"
                        x=n.start / span * WIDTH
                        y=f64::from(high - n.pitch) * ROW
                        width=(n.length / span * WIDTH).max(2.0)
                        height=ROW - 0.5
                    />
                }
            })
            .collect_view();
        Some(view! {
            <svg
                class="motif-roll"
                viewBox=format!("0 0 {WIDTH} {height}")
                preserveAspectRatio="none"
                role="img"
                aria-label="Piano roll of your motif"
            >
                {rects}
            </svg>
        })
    };
    view! { {view_of} }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computer_keys_play_from_middle_c() {
        assert_eq!(pitch_of_code("KeyA"), Some(60));
        assert_eq!(pitch_of_code("KeyW"), Some(61));
        assert_eq!(pitch_of_code("KeyK"), Some(72));
        assert_eq!(pitch_of_code("Quote"), Some(77));
        assert_eq!(pitch_of_code("KeyZ"), None);
        // The home row is white keys, the row above black ones.
        for (i, code) in COMPUTER_KEYS.iter().enumerate() {
            let black = is_black(60 + i as u8);
            let upper = ["KeyW", "KeyE", "KeyT", "KeyY", "KeyU", "KeyO", "KeyP"].contains(code);
            assert_eq!(black, upper, "{code}");
        }
    }

    #[test]
    fn keys_are_named_with_their_octave() {
        assert_eq!(note_name(60), "C4");
        assert_eq!(note_name(61), "C♯4");
        assert_eq!(note_name(LOWEST + KEYS - 1), "C6");
    }

    #[test]
    fn the_summary_says_notes_beats_and_seconds() {
        assert_eq!(
            summary(None, 100),
            "No motif: the piece starts from scratch."
        );
        let motif: Motif = "60:0:0.5:80 62:0.5:0.5:80 64:1:1:80".parse().unwrap();
        assert_eq!(
            summary(Some(&motif), 120),
            "Your motif: 3 notes, 2 beats (1.0 s at 120 BPM)."
        );
        let one: Motif = "60:0:1:80".parse().unwrap();
        assert_eq!(
            summary(Some(&one), 60),
            "Your motif: 1 note, 1 beat (1.0 s at 60 BPM)."
        );
    }
}
