//! A trained model on disk: `config.json` beside the weights `model.bpk`;
//! and the catalog of the instruments that have one.

pub mod catalog;

use std::path::{Path, PathBuf};

use burn::config::Config;
use burn::module::Module;
use burn::tensor::Device;
use sha2::{Digest, Sha256};

use crate::compose::generate::SteeringConfig;
use vocabulary::Meter;

use crate::music::energy::EnergyConfig;
use crate::music::instrument::Instrument;
use crate::music::musicality::Style;
use crate::network::{Composer, ComposerConfig, Preset};

/// The on-disk format this build reads and writes; bumped when the vocabulary
/// or the network's layout changes.
pub const FORMAT_VERSION: u32 = 2;
/// The weights' file name inside a model folder.
pub const WEIGHTS_FILE: &str = "model.bpk";
/// The config's file name inside a model folder.
pub const CONFIG_FILE: &str = "config.json";

/// Everything needed to rebuild a trained model, and where its data came from.
#[derive(Config, Debug)]
pub struct ModelConfig {
    /// [`FORMAT_VERSION`] of the build that wrote it.
    pub format_version: u32,
    /// The instrument's id.
    pub instrument: String,
    /// The preset it was made from.
    pub preset: Preset,
    /// The network's shape.
    pub network: ComposerConfig,
    /// Training window in events.
    pub window: usize,
    /// Folders it was trained on.
    pub data: Vec<PathBuf>,
    /// Share of the files held out for validation (chosen by file name).
    pub validation_share: f64,
    /// Training files per key, `[mode index][tonic]`: the keys a piece in "any key" is drawn from.
    #[config(default = "[[0; 12]; 2]")]
    pub key_counts: [[u32; 12]; 2],
    /// What the sampler keeps of the training music; `None` in a model made
    /// before it was kept (then `calibrate` adds it).
    pub style: Option<Style>,
    /// The sampler's nucleus for rests and lengths (see `compose::generate`);
    /// `None` trims them as notes are trimmed. Chosen per model by its
    /// musicality against held-out music, written in its card: where the
    /// network learned rhythm from enough music its rare rhythms are real.
    pub rhythm_top_p: Option<f64>,
    /// The steering rules' tunables (see `compose::generate::steering`),
    /// chosen per model by its musicality against held-out music; the
    /// measurements that chose them are in its card.
    #[config(default = "SteeringConfig::new()")]
    pub steering: SteeringConfig,
    /// The cuts between the energy classes the network was told of, and how
    /// touch follows the level; `None` in a model made before energy.
    #[config(default = "None")]
    pub energy: Option<EnergyConfig>,
    /// The meters it composes in: those of enough of its training files
    /// (see `training::dataset::MIN_METER_FILES`); `None` (4/4 only) in a
    /// model made before meters.
    #[config(default = "None")]
    pub meters: Option<Vec<Meter>>,
}

impl ModelConfig {
    /// The meters it composes in, 4/4 first.
    pub fn known_meters(&self) -> Vec<Meter> {
        self.meters.clone().unwrap_or_else(|| vec![Meter::Common])
    }
}

/// Errors opening a model folder.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// No config.json.
    #[error("no model at {}: {CONFIG_FILE} is missing", .0.display())]
    Missing(PathBuf),
    /// config.json is not a model config.
    #[error("model config {path} is unreadable: {detail}", path = .0.display(), detail = .1)]
    BadConfig(PathBuf, String),
    /// Written by an incompatible build.
    #[error("model at {} has format {found}, but this build reads format {FORMAT_VERSION}; retrain it with this version", path.display())]
    Incompatible {
        /// The folder.
        path: PathBuf,
        /// Its format.
        found: u32,
    },
    /// The instrument is not one MixTape knows.
    #[error("model at {path} is for unknown instrument {detail:?}", path = .0.display(), detail = .1)]
    UnknownInstrument(PathBuf, String),
    /// The weights are missing or do not fit the config.
    #[error("model weights {path} are missing or corrupt: {detail}", path = .0.display(), detail = .1)]
    BadWeights(PathBuf, String),
}

/// A model loaded on a device.
#[derive(Debug)]
pub struct SavedModel {
    /// Its config.
    pub config: ModelConfig,
    /// Its instrument.
    pub instrument: Instrument,
    /// The network, in inference mode.
    pub network: Composer,
    /// Where it was loaded from.
    pub dir: PathBuf,
    /// Names these exact weights: the instrument and a digest of the weights file,
    /// recorded with every piece so that it can be traced to the model that made it.
    pub version: String,
}

impl ModelConfig {
    /// Reads and checks `dir/config.json`.
    pub fn read(dir: &Path) -> Result<(ModelConfig, Instrument), ModelError> {
        let path = dir.join(CONFIG_FILE);
        let text =
            std::fs::read_to_string(&path).map_err(|_| ModelError::Missing(dir.to_path_buf()))?;
        let bad = |detail: String| ModelError::BadConfig(path.clone(), detail);
        let mut value =
            serde_json::from_str::<serde_json::Value>(&text).map_err(|e| bad(e.to_string()))?;
        // Read the version first: a future format may not parse as this one.
        let version = value
            .get("format_version")
            .and_then(serde_json::Value::as_u64);
        match version {
            Some(v) if v == u64::from(FORMAT_VERSION) => {}
            Some(v) => {
                return Err(ModelError::Incompatible {
                    path: dir.to_path_buf(),
                    found: u32::try_from(v).unwrap_or(u32::MAX),
                });
            }
            None => return Err(ModelError::BadConfig(path, "no format_version".to_owned())),
        }
        with_steering(&mut value);
        without_meter_and_energy(&mut value);
        let config: ModelConfig = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
        config.steering.check().map_err(bad)?;
        if let Some(energy) = &config.energy {
            energy.check().map_err(bad)?;
        }
        let instrument = Instrument::from_id(&config.instrument).ok_or_else(|| {
            ModelError::UnknownInstrument(dir.to_path_buf(), config.instrument.clone())
        })?;
        Ok((config, instrument))
    }
}

/// Gives a network written before the meter and energy inputs (format 2
/// until 8 December 2026) none of either, as it has none; and an energy
/// object written before one of its tunables that tunable's default.
fn without_meter_and_energy(config: &mut serde_json::Value) {
    if let Some(network) = config.get_mut("network").and_then(|n| n.as_object_mut()) {
        for table in ["meters", "energies"] {
            network.entry(table).or_insert(serde_json::Value::from(0));
        }
    }
    if let Some(energy) = config.get_mut("energy") {
        fill_in(energy, &EnergyConfig::new(Vec::new()));
    }
}

/// Gives the object `written` the fields of `defaults` it lacks: a config
/// written before a tunable existed reads with the tunable's default.
fn fill_in(written: &mut serde_json::Value, defaults: &impl serde::Serialize) {
    let defaults = serde_json::to_value(defaults).expect("a config is JSON");
    if let (Some(written), Some(defaults)) = (written.as_object_mut(), defaults.as_object()) {
        for (field, value) in defaults {
            written
                .entry(field.clone())
                .or_insert_with(|| value.clone());
        }
    }
}

/// Gives a config written before the steering had its own object (format 2
/// until 7 December 2026) one: the defaults, with its `balance_steps` and
/// `leap_gain` where it set them.
fn with_steering(config: &mut serde_json::Value) {
    let Some(fields) = config.as_object_mut() else {
        return;
    };
    if let Some(steering) = fields.get_mut("steering") {
        fill_in(steering, &SteeringConfig::new());
        return;
    }
    let mut steering = SteeringConfig::new();
    if let Some(steps) = fields.remove("balance_steps").and_then(|v| v.as_f64()) {
        steering.balance.steps = steps;
    }
    if let Some(gain) = fields.remove("leap_gain").and_then(|v| v.as_f64()) {
        steering.top_line.leap_gain = Some(gain);
    }
    let steering = serde_json::to_value(&steering).expect("a config is JSON");
    fields.insert("steering".to_owned(), steering);
}

impl SavedModel {
    /// Loads the model in `dir` onto `device`.
    pub fn load(dir: &Path, device: &Device) -> Result<SavedModel, ModelError> {
        let (config, instrument) = ModelConfig::read(dir)?;
        let weights = dir.join(WEIGHTS_FILE);
        if !weights.is_file() {
            return Err(ModelError::BadWeights(weights, "file not found".to_owned()));
        }
        let bytes = std::fs::read(&weights)
            .map_err(|e| ModelError::BadWeights(weights.clone(), e.to_string()))?;
        let digest = Sha256::digest(&bytes);
        let version = format!("{}-{}", instrument.id(), hex::encode(&digest[..6]));
        let network = config
            .network
            .init(device)
            .try_load_file(&weights)
            .map_err(|e| ModelError::BadWeights(weights.clone(), e.to_string()))?
            .valid();
        Ok(SavedModel {
            config,
            instrument,
            network,
            dir: dir.to_path_buf(),
            version,
        })
    }
}

/// Writes a model folder's config and weights.
pub fn save(dir: &Path, config: &ModelConfig, network: &Composer) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    network
        .clone()
        .save_file(dir.join(WEIGHTS_FILE))
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    config.save(dir.join(CONFIG_FILE))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped cello's config, changed by `edit`, in a folder of its own.
    fn cello_config_with(edit: impl FnOnce(&mut serde_json::Value)) -> tempfile::TempDir {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("cello")
            .join(CONFIG_FILE);
        let mut value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(shipped).unwrap()).unwrap();
        edit(&mut value);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE), value.to_string()).unwrap();
        dir
    }

    #[test]
    fn a_config_from_before_the_steering_object_keeps_its_values() {
        let dir = cello_config_with(|config| {
            let fields = config.as_object_mut().unwrap();
            fields.remove("steering");
            fields.insert("balance_steps".into(), 4.0.into());
            fields.insert("leap_gain".into(), 0.05.into());
        });
        let (config, _) = ModelConfig::read(dir.path()).unwrap();
        let expected = SteeringConfig::new();
        assert_eq!(config.steering.balance.steps, 4.0);
        assert_eq!(config.steering.top_line.leap_gain, Some(0.05));
        assert_eq!(config.steering.echo, expected.echo);
        // And the shipped cello's, which has the object, reads the same.
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("cello");
        assert_eq!(
            ModelConfig::read(&shipped).unwrap().0.steering,
            config.steering
        );
    }

    #[test]
    fn a_steering_value_that_cannot_work_is_refused_by_name() {
        let dir = cello_config_with(|config| {
            config["steering"]["balance"]["limit"] = (-1.0).into();
        });
        let err = ModelConfig::read(dir.path()).unwrap_err().to_string();
        assert!(err.contains("steering.balance.limit"), "{err}");
        let dir = cello_config_with(|config| {
            config["steering"]["balance"]["steps"] = 0.0.into();
        });
        let err = ModelConfig::read(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("steering.balance.steps must be a number above 0"),
            "{err}"
        );
    }
}
