//! The audio player: play, pause, seek, time and volume, with a piano roll of
//! the piece whose playhead follows playback and seeks where it is clicked.

use std::time::Duration;

use leptos::html::Audio;
use leptos::leptos_dom::helpers::{IntervalHandle, set_interval_with_handle};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use domain::piece::RollNote;

/// Width of the piano roll's coordinate system; the SVG scales it to the page.
const ROLL_WIDTH: f64 = 1000.0;
/// Height of one semitone in the piano roll's coordinate system.
const ROW_HEIGHT: f64 = 6.0;
/// How far the arrow keys move the playhead, in seconds.
const KEY_STEP: f64 = 5.0;

/// `m:ss` for a time in seconds.
pub fn clock(seconds: f64) -> String {
    let whole = if seconds.is_finite() {
        seconds.max(0.0).floor() as u64
    } else {
        0
    };
    format!("{}:{:02}", whole / 60, whole % 60)
}

/// The bar lines of a piano roll `roll_height` high, a bar every
/// `bar_seconds` of a piece of `duration`.
#[component]
fn BarLines(bar_seconds: f64, duration: RwSignal<f64>, roll_height: f64) -> impl IntoView {
    move || {
        let end = duration.get();
        if !(bar_seconds > 0.0 && end > 0.0) {
            return Vec::new();
        }
        let bars = (end / bar_seconds).floor() as usize;
        (1..=bars)
            .map(|bar| {
                let x = bar as f64 * bar_seconds / end * ROLL_WIDTH;
                view! { <line class="bar-line" x1=x x2=x y1="0" y2=roll_height /> }
            })
            .collect::<Vec<_>>()
    }
}

/// The player for one piece's audio.
#[component]
pub fn Player(
    /// The audio's URL.
    src: String,
    /// Length of the piece in seconds, until the audio reports its own.
    seconds: f64,
    /// Length of a bar in seconds, where the roll draws bar lines.
    bar_seconds: f64,
    /// The piece's notes.
    notes: Vec<RollNote>,
    /// What the audio is, for screen readers.
    label: String,
) -> impl IntoView {
    let audio = NodeRef::<Audio>::new();
    let playing = RwSignal::new(false);
    let position = RwSignal::new(0.0_f64);
    let duration = RwSignal::new(seconds);
    let volume = RwSignal::new(1.0_f64);
    let ticker = StoredValue::new(None::<IntervalHandle>);

    let read_position = move || {
        if let Some(audio) = audio.get_untracked() {
            position.set(audio.current_time());
        }
    };
    let stop_ticker = move || {
        if let Some(handle) = ticker.get_value() {
            handle.clear();
        }
        ticker.set_value(None);
    };
    // `timeupdate` fires about four times a second; the playhead is redrawn
    // every 50 ms while playing so that it moves smoothly.
    let on_play = move |_| {
        playing.set(true);
        stop_ticker();
        ticker.set_value(set_interval_with_handle(read_position, Duration::from_millis(50)).ok());
    };
    let on_stop = move |_| {
        playing.set(false);
        stop_ticker();
        read_position();
    };
    on_cleanup(stop_ticker);

    let toggle = move || {
        if let Some(audio) = audio.get_untracked() {
            if audio.paused() {
                // A refused play() (no audio device) leaves the button as it was.
                let _ = audio.play();
            } else {
                let _ = audio.pause();
            }
        }
    };
    let seek = move |to: f64| {
        let end = duration.get_untracked();
        let to = if end.is_finite() && end > 0.0 {
            to.clamp(0.0, end)
        } else {
            to.max(0.0)
        };
        if let Some(audio) = audio.get_untracked() {
            audio.set_current_time(to);
        }
        position.set(to);
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        // Range inputs and buttons handle their own keys.
        let own = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "BUTTON"));
        if own {
            return;
        }
        match ev.key().as_str() {
            " " | "k" => toggle(),
            "ArrowLeft" => seek(position.get_untracked() - KEY_STEP),
            "ArrowRight" => seek(position.get_untracked() + KEY_STEP),
            "Home" => seek(0.0),
            _ => return,
        }
        ev.prevent_default();
    };

    let (low, high) = notes.iter().fold((127u8, 0u8), |(lo, hi), n| {
        (lo.min(n.pitch), hi.max(n.pitch))
    });
    let (low, high) = if low > high {
        (60, 72)
    } else {
        (low.saturating_sub(2), high.saturating_add(2).min(127))
    };
    let roll_height = f64::from(high - low + 1) * ROW_HEIGHT;
    let has_motif = notes.iter().any(|n| n.motif);
    let x_of = move |time: f64| {
        let end = duration.get();
        if end > 0.0 {
            time / end * ROLL_WIDTH
        } else {
            0.0
        }
    };
    let on_roll_click = move |ev: leptos::ev::MouseEvent| {
        let Some(target) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        let rect = target.get_bounding_client_rect();
        if rect.width() > 0.0 {
            let share = (f64::from(ev.client_x()) - rect.left()) / rect.width();
            seek(share * duration.get_untracked());
        }
    };

    view! {
        <div class="player" role="group" aria-label=format!("Player: {label}") tabindex="0" on:keydown=on_key>
            <audio
                node_ref=audio
                src=src
                preload="metadata"
                on:play=on_play
                on:pause=on_stop
                on:ended=on_stop
                on:timeupdate=move |_| read_position()
                on:loadedmetadata=move |_| {
                    if let Some(audio) = audio.get_untracked() {
                        let length = audio.duration();
                        if length.is_finite() && length > 0.0 {
                            duration.set(length);
                        }
                    }
                }
            ></audio>
            <svg
                class="piano-roll"
                viewBox=format!("0 0 {ROLL_WIDTH} {roll_height}")
                preserveAspectRatio="none"
                role="img"
                aria-label="Piano roll of the piece; click to play from that point"
                on:click=on_roll_click
            >
                {notes
                    .iter()
                    .map(|note| {
                        let note = *note;
                        let y = f64::from(high - note.pitch) * ROW_HEIGHT;
                        let opacity = 0.45 + 0.55 * f64::from(note.velocity) / 127.0;
                        view! {
                            <rect
                                class=if note.motif { "roll-note motif" } else { "roll-note" }
                                x=move || x_of(note.start)
                                y=y
                                width=move || (x_of(note.end) - x_of(note.start)).max(1.0)
                                height=ROW_HEIGHT - 1.0
                                fill-opacity=opacity
                            />
                        }
                    })
                    .collect_view()}
                <BarLines bar_seconds duration roll_height />
                <line
                    class="playhead"
                    x1=move || x_of(position.get())
                    x2=move || x_of(position.get())
                    y1="0"
                    y2=roll_height
                />
            </svg>
            <Show when=move || has_motif>
                <p class="roll-legend">
                    <span><span class="swatch motif" aria-hidden="true"></span>" Your motif"</span>
                    <span><span class="swatch" aria-hidden="true"></span>" MixTape's continuation"</span>
                </p>
            </Show>
            <div class="player-controls">
                <button
                    type="button"
                    class="button play-button"
                    aria-label=move || if playing.get() { "Pause" } else { "Play" }
                    on:click=move |_| toggle()
                >
                    <span aria-hidden="true">{move || if playing.get() { "❚❚" } else { "▶" }}</span>
                </button>
                <span class="time" data-testid="player-time">
                    {move || format!("{} / {}", clock(position.get()), clock(duration.get()))}
                </span>
                <input
                    class="seek"
                    type="range"
                    min="0"
                    step="0.1"
                    aria-label="Position"
                    aria-valuetext=move || clock(position.get())
                    prop:max=move || duration.get().to_string()
                    prop:value=move || position.get().to_string()
                    on:input=move |ev| {
                        if let Ok(to) = event_target_value(&ev).parse() {
                            seek(to);
                        }
                    }
                />
                <label class="volume">
                    "Volume"
                    <input
                        type="range"
                        min="0"
                        max="1"
                        step="0.05"
                        prop:value=move || volume.get().to_string()
                        on:input=move |ev| {
                            if let Ok(level) = event_target_value(&ev).parse::<f64>() {
                                volume.set(level);
                                if let Some(audio) = audio.get_untracked() {
                                    audio.set_volume(level);
                                }
                            }
                        }
                    />
                </label>
            </div>
            <p class="hint player-keys">"Keys: space plays or pauses, ← and → move 5 seconds."</p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::clock;

    #[test]
    fn clock_shows_minutes_and_seconds() {
        assert_eq!(clock(0.0), "0:00");
        assert_eq!(clock(9.99), "0:09");
        assert_eq!(clock(75.2), "1:15");
        assert_eq!(clock(f64::NAN), "0:00");
        assert_eq!(clock(-3.0), "0:00");
    }
}
