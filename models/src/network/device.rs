//! Which device runs the network: the CPU backend (flex) always, wgpu when built in.

use std::fmt;
use std::str::FromStr;

use burn::tensor::Device;

/// The device asked for on the command line or in the server's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceChoice {
    /// A hardware GPU through wgpu when one is there, else the CPU.
    #[default]
    Auto,
    /// The CPU backend.
    Cpu,
    /// wgpu on whatever adapter it finds, a software one included.
    Wgpu,
}

impl FromStr for DeviceChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(DeviceChoice::Auto),
            "cpu" => Ok(DeviceChoice::Cpu),
            "wgpu" => Ok(DeviceChoice::Wgpu),
            other => Err(format!(
                "unknown device {other:?}: expected auto, cpu or wgpu"
            )),
        }
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeviceChoice::Auto => "auto",
            DeviceChoice::Cpu => "cpu",
            DeviceChoice::Wgpu => "wgpu",
        })
    }
}

/// A device opened for a choice, with a line that says what it is.
#[derive(Debug, Clone)]
pub struct SelectedDevice {
    /// The burn device.
    pub device: Device,
    /// What was taken and why, for the log.
    pub description: String,
}

/// Errors of [`DeviceChoice::select`].
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// wgpu was asked for in a build without it.
    #[error(
        "this build has no GPU support (wgpu); build with the `wgpu` feature or use --device cpu"
    )]
    NotBuilt,
    /// wgpu found no adapter at all.
    #[error("no wgpu adapter found (no GPU and no software Vulkan driver); use --device cpu")]
    NoAdapter,
}

impl DeviceChoice {
    /// Opens the device for this choice.
    pub fn select(self) -> Result<SelectedDevice, DeviceError> {
        let cpu = || SelectedDevice {
            device: Device::flex(),
            description: "CPU (flex backend)".to_owned(),
        };
        match self {
            DeviceChoice::Cpu => Ok(cpu()),
            DeviceChoice::Auto => Ok(gpu::hardware_adapter().map_or_else(
                || SelectedDevice {
                    description: "CPU (flex backend): no hardware GPU adapter found".to_owned(),
                    ..cpu()
                },
                |name| gpu::device(format!("GPU {name} (wgpu)")),
            )),
            DeviceChoice::Wgpu => gpu::any_adapter()
                .map(|name| gpu::device(format!("{name} (wgpu)")))
                .ok_or(if cfg!(feature = "wgpu") {
                    DeviceError::NoAdapter
                } else {
                    DeviceError::NotBuilt
                }),
        }
    }
}

/// Whether `device` is the CPU backend (with or without autodiff), where the
/// fused kernels of [`crate::network::fused_lstm`] and [`crate::network::inference`] run.
pub fn is_cpu(device: &Device) -> bool {
    device.clone().inner() == Device::flex()
}

#[cfg(feature = "wgpu")]
mod gpu {
    use burn::tensor::{Device, DeviceKind};

    use super::SelectedDevice;

    fn adapters() -> Vec<wgpu::AdapterInfo> {
        let instance = wgpu::Instance::default();
        pollster_block_on(instance.enumerate_adapters(wgpu::Backends::all()))
            .into_iter()
            .map(|adapter| adapter.get_info())
            .collect()
    }

    // wgpu's enumeration is async only on the web; on native targets the future is ready at once.
    fn pollster_block_on<F: std::future::Future>(future: F) -> F::Output {
        let waker = std::task::Waker::noop();
        let mut context = std::task::Context::from_waker(waker);
        let mut future = std::pin::pin!(future);
        loop {
            if let std::task::Poll::Ready(value) = future.as_mut().poll(&mut context) {
                return value;
            }
            std::thread::yield_now();
        }
    }

    /// The name of a hardware GPU adapter, if there is one.
    pub fn hardware_adapter() -> Option<String> {
        adapters()
            .into_iter()
            .find(|info| {
                matches!(
                    info.device_type,
                    wgpu::DeviceType::DiscreteGpu | wgpu::DeviceType::IntegratedGpu
                )
            })
            .map(|info| info.name)
    }

    /// The name of any adapter, a software one included.
    pub fn any_adapter() -> Option<String> {
        adapters().into_iter().next().map(|info| info.name)
    }

    pub fn device(description: String) -> SelectedDevice {
        SelectedDevice {
            device: Device::wgpu(DeviceKind::DefaultDevice),
            description,
        }
    }
}

#[cfg(not(feature = "wgpu"))]
mod gpu {
    use super::SelectedDevice;

    pub fn hardware_adapter() -> Option<String> {
        None
    }

    pub fn any_adapter() -> Option<String> {
        None
    }

    pub fn device(_description: String) -> SelectedDevice {
        unreachable!("no adapter is ever found without the wgpu feature")
    }
}
