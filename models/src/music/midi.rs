//! Standard MIDI files to [`Piece`]s and back, with midly.
//!
//! Reading merges every pitched track (files keep melody and accompaniment, both
//! hands, or each voice on its own track), follows the tempo map from any track,
//! pairs note-ons and note-offs per track, channel and key in first-in
//! first-out order (so overlapping notes of one pitch keep their lengths),
//! treats a note-on with velocity 0 as a note-off and leaves the percussion
//! channel out.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::path::{Path, PathBuf};

use midly::num::{u4, u7, u15, u24, u28};
use midly::{Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};

use crate::music::piece::{DEFAULT_BPM, Note, Piece, TempoChange, TimeSignature};

/// Files larger than this are refused before parsing: the largest real file of
/// the corpora is well under 1 MiB, and the cap bounds memory and time.
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;

/// The General MIDI percussion channel (channel 10, numbered 9 from zero).
const PERCUSSION_CHANNEL: u8 = 9;

/// Why a MIDI file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MidiError {
    #[error("file is empty")]
    Empty,
    #[error("file is {0} bytes, over the {MAX_FILE_BYTES}-byte limit")]
    TooLarge(usize),
    #[error("not a standard MIDI file (no MThd header)")]
    NotMidi,
    #[error("truncated: {0}")]
    Truncated(String),
    #[error("invalid header: {0}")]
    BadHeader(String),
    #[error("unsupported timing: {0}")]
    UnsupportedTiming(String),
    #[error("malformed MIDI: {0}")]
    Malformed(String),
    #[error("no pitched notes")]
    NoNotes,
}

/// A [`MidiError`] with the file it came from.
#[derive(Debug, thiserror::Error)]
pub struct FileError {
    /// The file that failed.
    pub path: PathBuf,
    /// What was wrong with it.
    pub kind: FileErrorKind,
}

/// What went wrong with a file.
#[derive(Debug, thiserror::Error)]
pub enum FileErrorKind {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Midi(#[from] MidiError),
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.kind)
    }
}

/// Reads the MIDI file at `path`.
pub fn read_file(path: &Path) -> Result<Piece, FileError> {
    let bytes = read_bytes(path)?;
    read(&bytes).map_err(|e| FileError {
        path: path.to_path_buf(),
        kind: e.into(),
    })
}

/// The bytes of the file at `path`, refusing one over [`MAX_FILE_BYTES`]
/// from its size before reading it.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, FileError> {
    let error = |kind: FileErrorKind| FileError {
        path: path.to_path_buf(),
        kind,
    };
    let size = std::fs::metadata(path).map_err(|e| error(e.into()))?.len();
    if size > MAX_FILE_BYTES as u64 {
        return Err(error(
            MidiError::TooLarge(usize::try_from(size).unwrap_or(usize::MAX)).into(),
        ));
    }
    std::fs::read(path).map_err(|e| error(e.into()))
}

/// Reads a standard MIDI file from memory.
pub fn read(bytes: &[u8]) -> Result<Piece, MidiError> {
    if bytes.is_empty() {
        return Err(MidiError::Empty);
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(MidiError::TooLarge(bytes.len()));
    }
    check_chunks(bytes)?;
    let smf = Smf::parse(bytes).map_err(|e| MidiError::Malformed(e.to_string()))?;
    let ticks_per_beat = match smf.header.timing {
        Timing::Metrical(ppq) if ppq.as_int() > 0 => f64::from(ppq.as_int()),
        Timing::Metrical(_) => {
            return Err(MidiError::BadHeader("division is 0 ticks per beat".into()));
        }
        Timing::Timecode(fps, subframes) => {
            // Ticks are wall-clock time here: read them as beats at the default tempo.
            let ticks_per_second = f64::from(fps.as_f32()) * f64::from(subframes);
            if ticks_per_second <= 0.0 {
                return Err(MidiError::UnsupportedTiming(
                    "SMPTE division of 0 ticks".into(),
                ));
            }
            ticks_per_second * 60.0 / DEFAULT_BPM
        }
    };
    let mut reader = Reader::default();
    for (track, events) in smf.tracks.iter().enumerate() {
        reader.read_track(track, events);
    }
    reader.into_piece(ticks_per_beat)
}

/// Walks the chunk headers first, because midly quietly accepts a chunk that
/// claims more bytes than the file has; a truncated file is an error here.
fn check_chunks(bytes: &[u8]) -> Result<(), MidiError> {
    if !bytes.starts_with(b"MThd") {
        return Err(MidiError::NotMidi);
    }
    let mut rest = bytes;
    let mut index = 0usize;
    while !rest.is_empty() {
        if rest.len() < 8 {
            return Err(MidiError::Truncated(format!(
                "{} stray bytes after chunk {index}",
                rest.len()
            )));
        }
        let id = &rest[..4];
        let len = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        let available = rest.len() - 8;
        if len > available {
            return Err(MidiError::Truncated(format!(
                "chunk {index} ({}) declares {len} bytes but only {available} remain",
                String::from_utf8_lossy(id)
            )));
        }
        // midly parses every header chunk, a repeated one too.
        if id == b"MThd" {
            if len < 6 {
                return Err(MidiError::BadHeader(format!(
                    "header chunk {index} is {len} bytes, not 6"
                )));
            }
            check_smpte_rate(rest[12], rest[13])?;
        }
        rest = &rest[8 + len..];
        index += 1;
    }
    Ok(())
}

/// A sounding note: its note-on, awaiting the note-off.
struct OpenNote {
    onset: u64,
    /// Its track and channel.
    part: (usize, u8),
    velocity: u8,
    program: u8,
}

/// A note in ticks.
struct TickNote {
    onset: u64,
    part: (usize, u8),
    duration: u64,
    pitch: u8,
    velocity: u8,
    program: u8,
}

/// Notes awaiting their note-off, in order, per (track, channel, key).
type OpenNotes = HashMap<(usize, u8, u8), VecDeque<OpenNote>>;

/// An SMPTE division must name one of the four frame rates; midly itself
/// overflows on some other values (the fuzz target found it).
fn check_smpte_rate(high: u8, low: u8) -> Result<(), MidiError> {
    // The high byte is the negated frame rate when its top bit is set.
    if high & 0x80 != 0 && !matches!(high.wrapping_neg(), 24 | 25 | 29 | 30) {
        return Err(MidiError::UnsupportedTiming(format!(
            "SMPTE division {high:#04x}{low:02x} names no frame rate (24, 25, 29.97 or 30)"
        )));
    }
    Ok(())
}

#[derive(Default)]
struct Reader {
    open: OpenNotes,
    notes: Vec<TickNote>,
    /// (tick, track, microseconds per beat).
    tempos: Vec<(u64, usize, u32)>,
    /// (tick, track, signature).
    signatures: Vec<(u64, usize, TimeSignature)>,
}

impl Reader {
    fn read_track(&mut self, track: usize, events: &[TrackEvent]) {
        let mut tick: u64 = 0;
        let mut programs = [0u8; 16];
        for event in events {
            tick += u64::from(event.delta.as_int());
            match event.kind {
                TrackEventKind::Midi { channel, message } => {
                    let channel = channel.as_int();
                    match message {
                        MidiMessage::ProgramChange { program } => {
                            programs[usize::from(channel)] = program.as_int();
                        }
                        _ if channel == PERCUSSION_CHANNEL => {}
                        MidiMessage::NoteOn { key, vel } if vel.as_int() > 0 => {
                            self.open
                                .entry((track, channel, key.as_int()))
                                .or_default()
                                .push_back(OpenNote {
                                    onset: tick,
                                    part: (track, channel),
                                    velocity: vel.as_int(),
                                    program: programs[usize::from(channel)],
                                });
                        }
                        MidiMessage::NoteOn { key, .. } | MidiMessage::NoteOff { key, .. } => {
                            self.close(track, channel, key.as_int(), tick);
                        }
                        _ => {}
                    }
                }
                TrackEventKind::Meta(MetaMessage::Tempo(micros)) if micros.as_int() > 0 => {
                    self.tempos.push((tick, track, micros.as_int()));
                }
                TrackEventKind::Meta(MetaMessage::TimeSignature(
                    numerator,
                    denominator_pow,
                    ..,
                )) if numerator > 0 && denominator_pow < 8 => {
                    let signature = TimeSignature {
                        numerator,
                        denominator: 1 << denominator_pow,
                    };
                    self.signatures.push((tick, track, signature));
                }
                _ => {}
            }
        }
        // Notes never released end with their track.
        let keys: Vec<_> = self.open.keys().filter(|k| k.0 == track).copied().collect();
        for key in keys {
            for open in self.open.remove(&key).unwrap_or_default() {
                self.push(open, key.2, tick);
            }
        }
    }

    /// Ends the earliest sounding note of this key, if any.
    fn close(&mut self, track: usize, channel: u8, key: u8, tick: u64) {
        if let Some(open) = self
            .open
            .get_mut(&(track, channel, key))
            .and_then(VecDeque::pop_front)
        {
            self.push(open, key, tick);
        }
    }

    fn push(&mut self, open: OpenNote, pitch: u8, end: u64) {
        self.notes.push(TickNote {
            onset: open.onset,
            part: open.part,
            duration: end.saturating_sub(open.onset),
            pitch,
            velocity: open.velocity,
            program: open.program,
        });
    }

    fn into_piece(mut self, ticks_per_beat: f64) -> Result<Piece, MidiError> {
        if self.notes.is_empty() {
            return Err(MidiError::NoNotes);
        }
        let beats = |ticks: u64| ticks as f64 / ticks_per_beat;
        let mut parts: Vec<(usize, u8)> = self.notes.iter().map(|n| n.part).collect();
        parts.sort_unstable();
        parts.dedup();
        let part = |n: &TickNote| parts.binary_search(&n.part).unwrap_or(0) as u16;
        let mut notes: Vec<Note> = self
            .notes
            .iter()
            .map(|n| Note {
                onset: beats(n.onset),
                duration: beats(n.duration),
                pitch: n.pitch,
                velocity: n.velocity,
                program: n.program,
                part: part(n),
            })
            .collect();
        notes.sort_by(|a, b| a.onset.total_cmp(&b.onset).then(a.pitch.cmp(&b.pitch)));

        self.tempos.sort_by_key(|&(tick, track, _)| (tick, track));
        let mut tempo_map: Vec<TempoChange> = Vec::new();
        for (tick, _, micros) in self.tempos {
            let change = TempoChange {
                beat: beats(tick),
                bpm: 60_000_000.0 / f64::from(micros),
            };
            // A later event at the same tick (a later track) wins.
            match tempo_map.last_mut() {
                Some(last) if last.beat == change.beat => *last = change,
                _ => tempo_map.push(change),
            }
        }
        if tempo_map.first().is_none_or(|t| t.beat > 0.0) {
            tempo_map.insert(
                0,
                TempoChange {
                    beat: 0.0,
                    bpm: DEFAULT_BPM,
                },
            );
        }
        self.signatures
            .sort_by_key(|&(tick, track, _)| (tick, track));
        let time_signature = self
            .signatures
            .first()
            .map_or_else(TimeSignature::default, |s| s.2);
        Ok(Piece {
            notes,
            tempo_map,
            time_signature,
        })
    }
}

/// The resolution of files MixTape writes; a multiple of 12 so that every
/// position of the event grid (1/12 beat) is a whole number of ticks.
pub const WRITE_TICKS_PER_BEAT: u16 = 480;

/// Writes notes as a format-0 standard MIDI file played by one General MIDI
/// program on channel 1, at a fixed tempo and time signature.
pub fn write(notes: &[Note], program: u8, bpm: f64, time_signature: TimeSignature) -> Vec<u8> {
    let channel = u4::new(0);
    let mut track = track_start(channel, program, bpm, time_signature);
    let mut last = 0u64;
    for (tick, _, kind) in note_events(notes, channel) {
        track.push(TrackEvent {
            delta: u28::new(
                u32::try_from(tick - last)
                    .unwrap_or(u32::MAX)
                    .min(0x0fff_ffff),
            ),
            kind,
        });
        last = tick;
    }
    track.push(TrackEvent {
        delta: u28::new(0),
        kind: TrackEventKind::Meta(MetaMessage::EndOfTrack),
    });
    let smf = Smf {
        header: Header::new(
            Format::SingleTrack,
            Timing::Metrical(u15::new(WRITE_TICKS_PER_BEAT)),
        ),
        tracks: vec![track],
    };
    let mut bytes = Vec::new();
    smf.write_std(&mut bytes)
        .expect("writing MIDI to memory cannot fail");
    bytes
}

/// `notes` as note-on and note-off events on `channel`, in the order they
/// are written: by tick, a note-off before a note-on at the same tick, so a
/// repeated note is released before it sounds again.
fn note_events(notes: &[Note], channel: u4) -> Vec<(u64, u8, TrackEventKind<'static>)> {
    let ticks = |beats: f64| (beats * f64::from(WRITE_TICKS_PER_BEAT)).round().max(0.0) as u64;
    let mut timed: Vec<(u64, u8, TrackEventKind<'static>)> = Vec::with_capacity(notes.len() * 2);
    for note in notes {
        let on = ticks(note.onset);
        let off = ticks(note.onset + note.duration).max(on + 1);
        let key = u7::new(note.pitch.min(127));
        timed.push((
            on,
            1,
            TrackEventKind::Midi {
                channel,
                message: MidiMessage::NoteOn {
                    key,
                    vel: u7::new(note.velocity.clamp(1, 127)),
                },
            },
        ));
        timed.push((
            off,
            0,
            TrackEventKind::Midi {
                channel,
                message: MidiMessage::NoteOff {
                    key,
                    vel: u7::new(0),
                },
            },
        ));
    }
    timed.sort_by_key(|&(tick, order, _)| (tick, order));
    timed
}

/// The events a track opens with: its tempo, time signature and program.
fn track_start(
    channel: u4,
    program: u8,
    bpm: f64,
    time_signature: TimeSignature,
) -> Vec<TrackEvent<'static>> {
    let micros_per_beat = (60_000_000.0 / bpm.clamp(1.0, 1000.0)).round() as u32;
    let denominator_pow = time_signature.denominator.max(1).trailing_zeros() as u8;
    // A metronome clicks on the beat: a quarter is 24 MIDI clocks, a
    // compound meter's dotted quarter (6/8, 9/8, 12/8) 36.
    let compound = time_signature.denominator == 8 && time_signature.numerator.is_multiple_of(3);
    let clocks_per_click = if compound && time_signature.numerator > 3 {
        36
    } else {
        24
    };
    vec![
        TrackEvent {
            delta: u28::new(0),
            kind: TrackEventKind::Meta(MetaMessage::Tempo(u24::new(micros_per_beat))),
        },
        TrackEvent {
            delta: u28::new(0),
            kind: TrackEventKind::Meta(MetaMessage::TimeSignature(
                time_signature.numerator.max(1),
                denominator_pow,
                clocks_per_click,
                8,
            )),
        },
        TrackEvent {
            delta: u28::new(0),
            kind: TrackEventKind::Midi {
                channel,
                message: MidiMessage::ProgramChange {
                    program: u7::new(program.min(127)),
                },
            },
        },
    ]
}
