//! Splitting a MIDI file's notes in two halves, each a MIDI file of its own
//! with every other event (tempo, programs, controllers) kept in both, so
//! that two synthesizers render half the notes each. Without its effects the
//! synthesizer's output is the sum of independent voices, so the two
//! renderings add up to the whole.

use std::collections::{HashMap, VecDeque};

use midly::{MidiMessage, Smf, TrackEvent, TrackEventKind};

/// The notes starting before the middle onset, and the others, as two
/// standard MIDI files; `None` when there is nothing to split.
pub(super) fn split_notes(midi: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let smf = Smf::parse(midi).ok()?;
    let mut onsets: Vec<u64> = Vec::new();
    for track in &smf.tracks {
        let mut tick = 0u64;
        for event in track {
            tick += u64::from(event.delta.as_int());
            if let Some((_, _, true)) = note(&event.kind) {
                onsets.push(tick);
            }
        }
    }
    if onsets.len() < 2 {
        return None;
    }
    onsets.sort_unstable();
    let middle = onsets[onsets.len() / 2];
    let (mut first, mut second) = (Vec::new(), Vec::new());
    for track in &smf.tracks {
        let (a, b) = split_track(track, middle);
        first.push(a);
        second.push(b);
    }
    let write = |tracks: Vec<Vec<TrackEvent>>| {
        let mut bytes = Vec::new();
        Smf {
            header: smf.header,
            tracks,
        }
        .write_std(&mut bytes)
        .ok()
        .map(|()| bytes)
    };
    Some((write(first)?, write(second)?))
}

/// (channel, key, whether it starts a note) of a note event.
fn note(kind: &TrackEventKind) -> Option<(u8, u8, bool)> {
    match *kind {
        TrackEventKind::Midi {
            channel,
            message: MidiMessage::NoteOn { key, vel },
        } => Some((channel.as_int(), key.as_int(), vel.as_int() > 0)),
        TrackEventKind::Midi {
            channel,
            message: MidiMessage::NoteOff { key, .. },
        } => Some((channel.as_int(), key.as_int(), false)),
        _ => None,
    }
}

/// One track's events in two: notes by their onset against `middle` (each
/// note's end follows its start), everything else in both.
fn split_track<'a>(
    track: &[TrackEvent<'a>],
    middle: u64,
) -> (Vec<TrackEvent<'a>>, Vec<TrackEvent<'a>>) {
    let mut halves: [(Vec<TrackEvent<'a>>, u64); 2] = [(Vec::new(), 0), (Vec::new(), 0)];
    // Which half each sounding note went to, oldest first, per channel and key.
    let mut sounding: HashMap<(u8, u8), VecDeque<usize>> = HashMap::new();
    let mut tick = 0u64;
    for event in track {
        tick += u64::from(event.delta.as_int());
        let targets: &[usize] = match note(&event.kind) {
            Some((channel, key, true)) => {
                let half = usize::from(tick >= middle);
                sounding.entry((channel, key)).or_default().push_back(half);
                if half == 0 { &[0] } else { &[1] }
            }
            Some((channel, key, false)) => {
                match sounding
                    .get_mut(&(channel, key))
                    .and_then(VecDeque::pop_front)
                {
                    Some(1) => &[1],
                    Some(_) => &[0],
                    // An end without a start: harmless in either half.
                    None => &[0, 1],
                }
            }
            None => &[0, 1],
        };
        for &half in targets {
            let (events, last) = &mut halves[half];
            let delta = u32::try_from(tick - *last)
                .unwrap_or(u32::MAX)
                .min(0x0FFF_FFFF);
            events.push(TrackEvent {
                delta: delta.into(),
                kind: event.kind,
            });
            *last = tick;
        }
    }
    let [(first, _), (second, _)] = halves;
    (first, second)
}

#[cfg(test)]
mod tests {
    use models::music::midi::write;
    use models::music::piece::{Note, TimeSignature};

    use super::*;

    fn note_at(onset: f64, duration: f64, pitch: u8) -> Note {
        Note {
            onset,
            duration,
            pitch,
            velocity: 80,
            program: 0,
            part: 0,
        }
    }

    /// The (tick, key, on) note events of a standard MIDI file.
    fn note_events(midi: &[u8]) -> Vec<(u64, u8, bool)> {
        let smf = Smf::parse(midi).unwrap();
        let mut out = Vec::new();
        for track in &smf.tracks {
            let mut tick = 0;
            for event in track {
                tick += u64::from(event.delta.as_int());
                if let Some((_, key, on)) = note(&event.kind) {
                    out.push((tick, key, on));
                }
            }
        }
        out.sort_unstable();
        out
    }

    #[test]
    fn the_halves_hold_every_note_once_at_its_time_and_the_rest_twice() {
        // Notes of one key overlapping, so that ends must find their own start.
        let overlapping: Vec<Note> = (0..20)
            .map(|i| note_at(f64::from(i) * 0.5, 1.25, 60 + (i % 3) as u8))
            .collect();
        let midi = write(&overlapping, 0, 120.0, TimeSignature::default());
        let (first, second) = split_notes(&midi).unwrap();
        let mut both = note_events(&first);
        both.extend(note_events(&second));
        both.sort_unstable();
        assert_eq!(both, note_events(&midi));
        let (a, b) = (note_events(&first), note_events(&second));
        assert_eq!(a.iter().filter(|n| n.2).count(), 10);
        assert_eq!(b.iter().filter(|n| n.2).count(), 10);
        // Every note ends in the half it started in, after it started.
        for half in [a, b] {
            let starts = half.iter().filter(|n| n.2).count();
            assert_eq!(starts * 2, half.len());
        }
        // Programs and tempo are in both.
        for half in [&first, &second] {
            let smf = Smf::parse(half).unwrap();
            let kinds: Vec<_> = smf.tracks.iter().flatten().map(|e| e.kind).collect();
            assert!(
                kinds
                    .iter()
                    .any(|k| matches!(k, TrackEventKind::Meta(midly::MetaMessage::Tempo(_))))
            );
            assert!(kinds.iter().any(|k| matches!(
                k,
                TrackEventKind::Midi {
                    message: MidiMessage::ProgramChange { .. },
                    ..
                }
            )));
        }
    }

    #[test]
    fn a_file_of_one_note_or_none_is_not_split() {
        assert_eq!(split_notes(b"not midi"), None);
        let one = write(&[note_at(0.0, 1.0, 60)], 0, 120.0, TimeSignature::default());
        assert_eq!(split_notes(&one), None);
    }
}
