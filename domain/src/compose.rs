//! The settings of a piece to compose: one typed struct from the form to the
//! database and the model, valid by construction, and the one table of the
//! product's limits that the form's inputs, the API's `/instruments` and
//! the checks all read.

use std::fmt::Display;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::motif::Motif;

/// The range and step of a numeric setting, and its default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits<T> {
    /// The smallest value allowed.
    pub min: T,
    /// The largest value allowed.
    pub max: T,
    /// The form's step between values.
    pub step: T,
    /// The value of a new form.
    pub default: T,
}

impl<T: PartialOrd + Copy> Limits<T> {
    /// Whether `value` is allowed.
    pub fn contains(&self, value: T) -> bool {
        self.min <= value && value <= self.max
    }

    /// The value `text` gives when it is one allowed, else the default: for
    /// a page's control that shows a value while the field is being typed.
    pub fn allowed_or_default(&self, text: &str) -> T
    where
        T: FromStr,
    {
        text.trim()
            .parse::<T>()
            .ok()
            .filter(|value| self.contains(*value))
            .unwrap_or(self.default)
    }
}

/// Length in whole seconds.
pub const LENGTH_SECONDS: Limits<u32> = Limits {
    min: 10,
    max: 180,
    step: 1,
    default: 30,
};

/// Tempo in whole beats per minute.
pub const TEMPO_BPM: Limits<u32> = Limits {
    min: 40,
    max: 220,
    step: 1,
    default: 100,
};

/// Creativity: how much surprise the melody and rhythm may have (the model's
/// sampling temperature).
pub const CREATIVITY: Limits<f64> = Limits {
    min: 0.5,
    max: 1.5,
    step: 0.05,
    default: 1.0,
};

/// Energy, from calm (1) to lively (5): the levels of [`Energy`].
pub const ENERGY: Limits<u8> = Limits {
    min: Energy::MIN,
    max: Energy::MAX,
    step: 1,
    default: 3,
};

/// Seeds go up to 2^53 - 1, the largest integer a browser's number input keeps exactly.
pub const SEED: Limits<u64> = Limits {
    min: 0,
    max: (1 << 53) - 1,
    step: 1,
    default: 0,
};

/// The twelve tonics by pitch class (0 = C), as the form names them.
pub use vocabulary::names::TONICS as KEYS;

/// Major or minor, the meters and the energy levels, as every crate names them.
pub use vocabulary::{Energy, Meter, Mode};

/// What to compose, as a request sends it (the API's body, a stored
/// generation): each field as sent, unchecked. [`RequestedSettings::validate`]
/// turns it into [`ComposeSettings`], the only way to get one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
// Whatever a request leaves out is the default, as on a new form.
#[serde(default)]
pub struct RequestedSettings {
    /// The instrument's id, also its model's folder name.
    pub instrument: String,
    /// Length in whole seconds, within [`LENGTH_SECONDS`].
    pub length_seconds: u32,
    /// Tempo in whole beats per minute, within [`TEMPO_BPM`]: quarter notes,
    /// or dotted quarters in 6/8.
    pub tempo_bpm: u32,
    /// The meter, one the instrument's model knows (the service checks).
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "4/4"))]
    pub meter: Meter,
    /// Energy within [`ENERGY`]: 1 calm to 5 lively.
    pub energy: u8,
    /// The tonic's pitch class (0 = C, an index of [`KEYS`]); `None` for any key.
    pub tonic: Option<u8>,
    /// The mode; `None` for as composed.
    pub mode: Option<Mode>,
    /// Within [`CREATIVITY`].
    pub creativity: f64,
    /// Within [`SEED`]; `None` for a new one each time.
    pub seed: Option<u64>,
    /// The notes the piece starts from, if any: at most half its length.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Vec<crate::motif::MotifNote>>))]
    pub motif: Option<Motif>,
}

impl Default for RequestedSettings {
    fn default() -> RequestedSettings {
        ComposeSettings::default().into()
    }
}

impl RequestedSettings {
    /// The settings, every value within its limits (the instrument is the
    /// service's to check, against the models installed); else the errors,
    /// each naming its field as the form does.
    pub fn validate(self) -> Result<ComposeSettings, Vec<FieldError>> {
        let mut errors = Vec::new();
        if !LENGTH_SECONDS.contains(self.length_seconds) {
            errors.push(out_of(LENGTH_FIELD, &LENGTH_SECONDS));
        }
        if !TEMPO_BPM.contains(self.tempo_bpm) {
            errors.push(out_of(TEMPO_FIELD, &TEMPO_BPM));
        }
        let energy = Energy::new(self.energy);
        if energy.is_none() {
            errors.push(out_of(ENERGY_FIELD, &ENERGY));
        }
        if self
            .tonic
            .is_some_and(|tonic| usize::from(tonic) >= KEYS.len())
        {
            errors.push(FieldError::new(
                TONIC_FIELD,
                "Give the tonic as a pitch class from 0 (C) to 11 (B), or leave it out for any key.",
            ));
        }
        if !CREATIVITY.contains(self.creativity) {
            errors.push(out_of(CREATIVITY_FIELD, &CREATIVITY));
        }
        if self.seed.is_some_and(|seed| !SEED.contains(seed)) {
            errors.push(out_of(SEED_FIELD, &SEED));
        }
        if let Some(error) = self.motif_error() {
            errors.push(error);
        }
        let (Some(energy), true) = (energy, errors.is_empty()) else {
            return Err(errors);
        };
        Ok(ComposeSettings {
            instrument: self.instrument,
            length_seconds: self.length_seconds,
            tempo_bpm: self.tempo_bpm,
            meter: self.meter,
            energy,
            tonic: self.tonic,
            mode: self.mode,
            creativity: self.creativity,
            seed: self.seed,
            motif: self.motif,
        })
    }

    /// The message for a motif too long for the piece, if it is: a motif
    /// takes at most half the piece, so that most of it is the model's
    /// music, and leaves at least a bar. Judged once length and tempo are valid.
    fn motif_error(&self) -> Option<FieldError> {
        let motif = self.motif.as_ref()?;
        if !(TEMPO_BPM.contains(self.tempo_bpm) && LENGTH_SECONDS.contains(self.length_seconds)) {
            return None;
        }
        let length = f64::from(self.length_seconds);
        let bar = bar_seconds(self.meter, self.tempo_bpm);
        let allowed = (length / 2.0).min(length - bar);
        let seconds = motif.seconds_at(self.tempo_bpm);
        (seconds > allowed).then(|| {
            FieldError::new(
                MOTIF_FIELD,
                format!(
                    "Your motif lasts {seconds:.1} seconds at {} BPM; a {}-second piece can start with at most {allowed:.1} seconds of it. Make the piece longer, or the motif shorter.",
                    self.tempo_bpm, self.length_seconds,
                ),
            )
        })
    }
}

/// What to compose, every value within the product's limits: built only by
/// [`RequestedSettings::validate`], [`ComposeForm::parse`] or
/// [`ComposeSettings::new`], and read through its getters (its fields are
/// private, so nothing can set one out of its limits), so whatever holds
/// one, down to the model, need not check it again.
///
/// ```compile_fail
/// let mut settings = domain::compose::ComposeSettings::new("piano");
/// settings.tempo_bpm = 1000;
/// ```
///
/// ```
/// let settings = domain::compose::ComposeSettings::new("piano");
/// assert_eq!(settings.tempo_bpm(), domain::compose::TEMPO_BPM.default);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(try_from = "RequestedSettings", into = "RequestedSettings")]
#[non_exhaustive]
pub struct ComposeSettings {
    /// The instrument's id, also its model's folder name.
    instrument: String,
    /// Length in whole seconds, within [`LENGTH_SECONDS`].
    length_seconds: u32,
    /// Tempo in whole beats per minute, within [`TEMPO_BPM`].
    tempo_bpm: u32,
    /// The meter.
    meter: Meter,
    /// How lively.
    energy: Energy,
    /// The tonic's pitch class (0 = C, an index of [`KEYS`]); `None` for any key.
    tonic: Option<u8>,
    /// The mode; `None` for as composed.
    mode: Option<Mode>,
    /// Within [`CREATIVITY`].
    creativity: f64,
    /// Within [`SEED`]; `None` for a new one each time.
    seed: Option<u64>,
    /// The notes the piece starts from, if any: at most half its length.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Vec<crate::motif::MotifNote>>))]
    motif: Option<Motif>,
}

impl TryFrom<RequestedSettings> for ComposeSettings {
    type Error = String;

    fn try_from(request: RequestedSettings) -> Result<ComposeSettings, String> {
        request.validate().map_err(|errors| {
            let messages: Vec<String> = errors
                .into_iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect();
            messages.join("; ")
        })
    }
}

impl From<ComposeSettings> for RequestedSettings {
    fn from(settings: ComposeSettings) -> RequestedSettings {
        RequestedSettings {
            instrument: settings.instrument,
            length_seconds: settings.length_seconds,
            tempo_bpm: settings.tempo_bpm,
            meter: settings.meter,
            energy: settings.energy.level(),
            tonic: settings.tonic,
            mode: settings.mode,
            creativity: settings.creativity,
            seed: settings.seed,
            motif: settings.motif,
        }
    }
}

impl ComposeSettings {
    /// The instrument's id, also its model's folder name.
    pub fn instrument(&self) -> &str {
        &self.instrument
    }

    /// Length in whole seconds, within [`LENGTH_SECONDS`].
    pub fn length_seconds(&self) -> u32 {
        self.length_seconds
    }

    /// Tempo in whole beats per minute, within [`TEMPO_BPM`].
    pub fn tempo_bpm(&self) -> u32 {
        self.tempo_bpm
    }

    /// The meter: 4/4, 3/4 or 6/8 (whose tempo counts dotted quarters).
    pub fn meter(&self) -> Meter {
        self.meter
    }

    /// How lively, 1 calm to 5 lively.
    pub fn energy(&self) -> Energy {
        self.energy
    }

    /// Seconds in one bar: where the piano roll draws its bar lines.
    pub fn bar_seconds(&self) -> f64 {
        bar_seconds(self.meter, self.tempo_bpm)
    }

    /// The tonic's pitch class (0 = C, an index of [`KEYS`]); `None` for any key.
    pub fn tonic(&self) -> Option<u8> {
        self.tonic
    }

    /// The mode; `None` for as composed.
    pub fn mode(&self) -> Option<Mode> {
        self.mode
    }

    /// Within [`CREATIVITY`].
    pub fn creativity(&self) -> f64 {
        self.creativity
    }

    /// Within [`SEED`]; `None` for a new one each time.
    pub fn seed(&self) -> Option<u64> {
        self.seed
    }

    /// The notes the piece starts from, if any.
    pub fn motif(&self) -> Option<&Motif> {
        self.motif.as_ref()
    }

    /// One click composes a balanced 30-second piece at 100 BPM with `instrument`.
    pub fn new(instrument: &str) -> ComposeSettings {
        ComposeSettings {
            instrument: instrument.to_owned(),
            length_seconds: LENGTH_SECONDS.default,
            tempo_bpm: TEMPO_BPM.default,
            meter: Meter::default(),
            energy: Energy::default(),
            tonic: None,
            mode: None,
            creativity: CREATIVITY.default,
            seed: None,
            motif: None,
        }
    }

    /// These settings with no seed: a new piece each time.
    pub fn without_seed(self) -> ComposeSettings {
        ComposeSettings { seed: None, ..self }
    }

    /// These settings with their seed, or where they name none one `draw`n
    /// (brought within [`SEED`]).
    pub fn seeded(self, draw: impl FnOnce() -> u64) -> ComposeSettings {
        let seed = self.seed.unwrap_or_else(|| draw() & SEED.max);
        ComposeSettings {
            seed: Some(seed),
            ..self
        }
    }

    /// These settings starting from `motif`, if it fits the piece.
    pub fn with_motif(self, motif: Motif) -> Result<ComposeSettings, Vec<FieldError>> {
        RequestedSettings {
            motif: Some(motif),
            ..self.into()
        }
        .validate()
    }

    /// The form filled in with these settings.
    pub fn form(&self) -> ComposeForm {
        ComposeForm {
            instrument: self.instrument.clone(),
            length_seconds: self.length_seconds.to_string(),
            tempo_bpm: self.tempo_bpm.to_string(),
            meter: self.meter.name().to_owned(),
            energy: self.energy.to_string(),
            tonic: self
                .tonic
                .and_then(|tonic| KEYS.get(usize::from(tonic)))
                .map_or_else(String::new, |key| (*key).to_owned()),
            mode: self.mode.map_or_else(String::new, |m| m.name().to_owned()),
            creativity: self.creativity.to_string(),
            seed: self.seed.map_or_else(String::new, |seed| seed.to_string()),
            motif: self
                .motif
                .as_ref()
                .map_or_else(String::new, |motif| motif.to_string()),
        }
    }

    /// The instruments page with its form filled in with these settings.
    pub fn form_url(&self) -> String {
        let query = serde_urlencoded::to_string(self.form()).expect("text fields encode");
        format!("/instruments?{query}")
    }
}

impl Default for ComposeSettings {
    /// The defaults, with no instrument chosen.
    fn default() -> ComposeSettings {
        ComposeSettings::new("")
    }
}

/// The compose form as a person filled it in: text, so that each field that
/// does not parse still gets its own message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComposeForm {
    /// Instrument id; empty for the first one listed.
    #[serde(default)]
    pub instrument: String,
    /// See [`ComposeSettings::length_seconds`].
    #[serde(default)]
    pub length_seconds: String,
    /// See [`ComposeSettings::tempo_bpm`].
    #[serde(default)]
    pub tempo_bpm: String,
    /// `4/4`, `3/4` or `6/8`; empty for 4/4 (forms from before meters).
    #[serde(default)]
    pub meter: String,
    /// 1 to 5; empty for the middle (forms from before energy).
    #[serde(default)]
    pub energy: String,
    /// The tonic's name, one of [`KEYS`], or empty for any key (`key` in
    /// addresses and stored forms from before it had the setting's name).
    #[serde(default, alias = "key")]
    pub tonic: String,
    /// `major`, `minor`, or empty for as composed.
    #[serde(default)]
    pub mode: String,
    /// See [`ComposeSettings::creativity`].
    #[serde(default)]
    pub creativity: String,
    /// A whole number, or empty for a new one.
    #[serde(default)]
    pub seed: String,
    /// The motif's notes as text (see [`Motif`]'s `Display`), or empty for none.
    /// Left out of addresses when empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub motif: String,
}

impl Default for ComposeForm {
    fn default() -> ComposeForm {
        ComposeSettings::new("").form()
    }
}

const LENGTH_FIELD: (&str, &str) = ("length_seconds", "a length in whole seconds");
const TEMPO_FIELD: (&str, &str) = ("tempo_bpm", "a tempo in whole beats per minute");
const CREATIVITY_FIELD: (&str, &str) = ("creativity", "a creativity");
const ENERGY_FIELD: (&str, &str) = ("energy", "an energy");
/// The meter's field, on the form and in the API.
pub const METER_FIELD: &str = "meter";

/// A tempo as musicians count it: `100 BPM`, or `100 BPM (dotted quarters)` in 6/8.
pub fn tempo_label(tempo_bpm: u32, meter: Meter) -> String {
    match meter {
        Meter::Compound => format!("{tempo_bpm} BPM (dotted quarters)"),
        Meter::Common | Meter::Triple => format!("{tempo_bpm} BPM"),
    }
}

/// Seconds in a bar of `meter` at `tempo_bpm`.
fn bar_seconds(meter: Meter, tempo_bpm: u32) -> f64 {
    let quarters = f64::from(meter.bar_steps()) / f64::from(vocabulary::STEPS_PER_BEAT);
    quarters * 60.0 / (f64::from(tempo_bpm) * meter.quarters_per_beat())
}
const SEED_FIELD: (&str, &str) = ("seed", "a whole number");
/// The tonic's field, on the form and in the API.
const TONIC_FIELD: &str = "tonic";
const TONIC_MESSAGE: &str = "Choose a key from the list, or any key.";
/// The motif's field, on the form and in the API.
pub const MOTIF_FIELD: &str = "motif";

/// The message for a value of `field` (its name and what it is) outside `limits`.
fn out_of<T: Display>((field, what): (&str, &str), limits: &Limits<T>) -> FieldError {
    FieldError::new(
        field,
        format!("Enter {what} from {} to {}.", limits.min, limits.max),
    )
}

/// `text` as a number within `limits`, or the field's message in `errors`.
fn number<T>(
    errors: &mut Vec<FieldError>,
    field: (&str, &str),
    text: &str,
    limits: &Limits<T>,
) -> Option<T>
where
    T: FromStr + PartialOrd + Copy + Display,
{
    match text.trim().parse::<T>() {
        Ok(value) if limits.contains(value) => Some(value),
        _ => {
            errors.push(out_of(field, limits));
            None
        }
    }
}

impl ComposeForm {
    /// The settings the form names, each field checked against its limits;
    /// the errors name each field at fault.
    pub fn parse(&self) -> Result<ComposeSettings, Vec<FieldError>> {
        let mut errors = Vec::new();
        let length_seconds = number(
            &mut errors,
            LENGTH_FIELD,
            &self.length_seconds,
            &LENGTH_SECONDS,
        );
        let tempo_bpm = number(&mut errors, TEMPO_FIELD, &self.tempo_bpm, &TEMPO_BPM);
        let meter = match self.meter.trim() {
            "" => Some(Meter::default()),
            name => name.parse::<Meter>().ok(),
        };
        if meter.is_none() {
            errors.push(FieldError::new(METER_FIELD, "Choose 4/4, 3/4 or 6/8."));
        }
        let energy = match self.energy.trim() {
            "" => Some(ENERGY.default),
            text => number(&mut errors, ENERGY_FIELD, text, &ENERGY),
        };
        let tonic = match self.tonic.trim() {
            "" => Some(None),
            name => KEYS
                .iter()
                .position(|key| *key == name)
                .map(|pc| Some(pc as u8)),
        };
        if tonic.is_none() {
            errors.push(FieldError::new(TONIC_FIELD, TONIC_MESSAGE));
        }
        let mode = match self.mode.trim() {
            "" => Some(None),
            name => name.parse::<Mode>().ok().map(Some),
        };
        if mode.is_none() {
            errors.push(FieldError::new(
                "mode",
                "Choose major, minor, or as composed.",
            ));
        }
        let creativity = number(&mut errors, CREATIVITY_FIELD, &self.creativity, &CREATIVITY);
        let seed = match self.seed.trim() {
            "" => Some(None),
            text => number(&mut errors, SEED_FIELD, text, &SEED).map(Some),
        };
        let motif = match self.motif.trim() {
            "" => Some(None),
            text => match text.parse::<Motif>() {
                Ok(motif) => Some(Some(motif)),
                Err(message) => {
                    errors.push(FieldError::new(MOTIF_FIELD, message));
                    None
                }
            },
        };
        match (
            (length_seconds, tempo_bpm, meter, energy),
            (tonic, mode, creativity, seed, motif),
        ) {
            (
                (Some(length_seconds), Some(tempo_bpm), Some(meter), Some(energy)),
                (Some(tonic), Some(mode), Some(creativity), Some(seed), Some(motif)),
            ) if errors.is_empty() => RequestedSettings {
                instrument: self.instrument.trim().to_owned(),
                length_seconds,
                tempo_bpm,
                meter,
                energy,
                tonic,
                mode,
                creativity,
                seed,
                motif,
            }
            .validate(),
            _ => Err(errors),
        }
    }
}

/// Describes a creativity in words.
pub fn creativity_label(creativity: f64) -> &'static str {
    if creativity < 0.8 {
        "safe"
    } else if creativity <= 1.2 {
        "balanced"
    } else {
        "adventurous"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(form: ComposeForm) -> Vec<(String, String)> {
        form.parse()
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect()
    }

    #[test]
    fn the_default_form_is_the_default_settings() {
        let settings = ComposeForm {
            instrument: "piano".into(),
            ..ComposeForm::default()
        }
        .parse()
        .unwrap();
        assert_eq!(settings, ComposeSettings::new("piano"));
        assert_eq!((settings.length_seconds, settings.tempo_bpm), (30, 100));
        assert_eq!(
            (settings.tonic, settings.mode, settings.seed),
            (None, None, None)
        );
    }

    #[test]
    fn key_mode_and_seed_are_read() {
        let settings = ComposeForm {
            tonic: "E♭".into(),
            mode: "minor".into(),
            seed: " 42 ".into(),
            creativity: "0.75".into(),
            ..ComposeForm::default()
        }
        .parse()
        .unwrap();
        assert_eq!(settings.tonic, Some(3));
        assert_eq!(settings.mode, Some(Mode::Minor));
        assert_eq!(settings.seed, Some(42));
        assert_eq!(settings.creativity, 0.75);
    }

    #[test]
    fn every_bad_field_gets_its_own_message() {
        let errors = messages(ComposeForm {
            instrument: "kazoo".into(),
            length_seconds: "5".into(),
            tempo_bpm: "fast".into(),
            meter: "5/4".into(),
            energy: "11".into(),
            tonic: "H".into(),
            mode: "lydian".into(),
            creativity: "3".into(),
            seed: "-1".into(),
            motif: "60:0".into(),
        });
        let expected = [
            (
                "length_seconds",
                "Enter a length in whole seconds from 10 to 180.",
            ),
            (
                "tempo_bpm",
                "Enter a tempo in whole beats per minute from 40 to 220.",
            ),
            ("meter", "Choose 4/4, 3/4 or 6/8."),
            ("energy", "Enter an energy from 1 to 5."),
            ("tonic", "Choose a key from the list, or any key."),
            ("mode", "Choose major, minor, or as composed."),
            ("creativity", "Enter a creativity from 0.5 to 1.5."),
            ("seed", "Enter a whole number from 0 to 9007199254740991."),
            (
                "motif",
                "The motif could not be read: play it again, or choose its file again.",
            ),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|(f, m)| (f.to_string(), m.to_string()))
            .collect();
        assert_eq!(errors, expected);
    }

    #[test]
    fn requests_are_checked_against_the_same_limits() {
        let request = RequestedSettings {
            length_seconds: 5,
            creativity: 3.0,
            tonic: Some(12),
            seed: Some(SEED.max + 1),
            energy: 0,
            ..ComposeSettings::new("piano").into()
        };
        let fields: Vec<String> = request
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            ["length_seconds", "energy", "tonic", "creativity", "seed"]
        );
        let valid = RequestedSettings::from(ComposeSettings::new("piano")).validate();
        assert_eq!(valid, Ok(ComposeSettings::new("piano")));
    }

    #[test]
    fn forms_and_stored_settings_from_before_meter_and_energy_read_as_4_4_and_3() {
        let old = ComposeForm {
            instrument: "piano".into(),
            meter: String::new(),
            energy: String::new(),
            ..ComposeForm::default()
        };
        let settings = old.parse().unwrap();
        assert_eq!(
            (settings.meter(), settings.energy()),
            (Meter::Common, Energy::MIDDLE)
        );
        let stored = r#"{"instrument":"piano","length_seconds":30,"tempo_bpm":100,"tonic":null,"mode":null,"creativity":1.0,"seed":4,"motif":null}"#;
        let read: ComposeSettings = serde_json::from_str(stored).unwrap();
        assert_eq!(
            (read.meter(), read.energy()),
            (Meter::Common, Energy::MIDDLE)
        );
        let jig: ComposeSettings = serde_json::from_str(
            &stored.replace("\"seed\"", "\"meter\":\"6/8\",\"energy\":5,\"seed\""),
        )
        .unwrap();
        assert_eq!((jig.meter(), jig.energy().level()), (Meter::Compound, 5));
        // A 6/8 bar at 100 dotted quarters a minute: two beats of 0.6 s.
        assert!((jig.bar_seconds() - 1.2).abs() < 1e-9);
        assert_eq!(tempo_label(100, jig.meter()), "100 BPM (dotted quarters)");
        assert_eq!(tempo_label(100, Meter::Triple), "100 BPM");
    }

    #[test]
    fn settings_read_from_json_are_checked_too() {
        let json = serde_json::to_string(&ComposeSettings::new("piano").seeded(|| 7)).unwrap();
        let read: ComposeSettings = serde_json::from_str(&json).unwrap();
        assert_eq!(read.seed, Some(7));
        let out_of_range = json.replace("\"tempo_bpm\":100", "\"tempo_bpm\":1000");
        let err = serde_json::from_str::<ComposeSettings>(&out_of_range).unwrap_err();
        assert!(err.to_string().contains("tempo_bpm"), "{err}");
        // A drawn seed is brought within the limit.
        let drawn = ComposeSettings::new("piano").seeded(|| u64::MAX);
        assert_eq!(drawn.seed, Some(SEED.max));
    }

    #[test]
    fn settings_survive_the_form_and_its_address() {
        let settings = RequestedSettings {
            instrument: "piano".into(),
            length_seconds: 45,
            tempo_bpm: 132,
            meter: Meter::Compound,
            energy: 5,
            tonic: Some(3),
            mode: Some(Mode::Minor),
            creativity: 0.85,
            seed: Some(SEED.max),
            motif: Some("60:0:1:80 64:1:0.5:90 67:1.5:2:90".parse().unwrap()),
        }
        .validate()
        .unwrap();
        assert_eq!(settings.form().tonic, "E♭");
        assert_eq!(
            (settings.form().meter.as_str(), settings.energy().level()),
            ("6/8", 5)
        );
        assert_eq!(settings.form().parse(), Ok(settings.clone()));
        let url = settings.form_url();
        let query = url.strip_prefix("/instruments?").unwrap();
        let form: ComposeForm = serde_urlencoded::from_str(query).unwrap();
        assert_eq!(form.parse(), Ok(settings));
    }

    #[test]
    fn a_motif_takes_at_most_half_the_piece() {
        // Nine beats: 5.4 s at 100 BPM.
        let motif: Motif = "60:0:4:80 62:4:5:80".parse().unwrap();
        let request = RequestedSettings {
            length_seconds: 11,
            motif: Some(motif),
            ..ComposeSettings::new("piano").into()
        };
        let settings = request.clone().validate().unwrap();
        let short = RequestedSettings {
            length_seconds: 10,
            ..request.clone()
        };
        let message = "Your motif lasts 5.4 seconds at 100 BPM; a 10-second piece can start with at most 5.0 seconds of it. Make the piece longer, or the motif shorter.";
        assert_eq!(
            short.validate(),
            Err(vec![FieldError::new("motif", message)])
        );
        let form = ComposeForm {
            length_seconds: "10".into(),
            ..settings.form()
        };
        assert_eq!(form.parse(), Err(vec![FieldError::new("motif", message)]));
        // At a slow tempo the bar left for the composer counts.
        let slow = RequestedSettings {
            tempo_bpm: 40,
            length_seconds: 10,
            motif: Some("60:0:3:80".parse().unwrap()),
            ..request
        };
        let err = slow.validate().unwrap_err();
        assert!(err[0].message.contains("at most 4.0 seconds"), "{err:?}");
    }

    #[test]
    fn a_control_shows_an_allowed_value_or_the_default() {
        assert_eq!(TEMPO_BPM.allowed_or_default(" 120 "), 120);
        assert_eq!(TEMPO_BPM.allowed_or_default("1000"), TEMPO_BPM.default);
        assert_eq!(TEMPO_BPM.allowed_or_default("fast"), TEMPO_BPM.default);
        assert_eq!(CREATIVITY.allowed_or_default("0.75"), 0.75);
        assert_eq!(CREATIVITY.allowed_or_default(""), CREATIVITY.default);
    }

    #[test]
    fn creativity_is_described_in_words() {
        assert_eq!(creativity_label(0.5), "safe");
        assert_eq!(creativity_label(1.0), "balanced");
        assert_eq!(creativity_label(1.2), "balanced");
        assert_eq!(creativity_label(1.5), "adventurous");
    }
}
