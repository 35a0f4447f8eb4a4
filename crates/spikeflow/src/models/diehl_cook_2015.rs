//! Diehl & Cook (2015) as BindsNET builds it (`DiehlAndCook2015`): Poisson
//! input → adaptive-threshold excitatory layer with STDP → one-to-one
//! excitation of an inhibitory layer → inhibition of every *other*
//! excitatory neuron.

use crate::error::Result;
use crate::learning::{PostPre, Reduction};
use crate::network::{Connect, Network, NetworkBuilder};
use crate::nodes::{AdaptiveLifNodes, DiehlAndCookNodes, Input, LifNodes, NodeOptions};
use crate::topology::{AllButSelf, Dense, Sparse};

/// BindsNET's `DiehlAndCook2015` (defaults as its constructor; its examples
/// use `inh = 120`).
///
/// | name | population | parameters |
/// |---|---|---|
/// | `X` | `Input` | traces, `tc_trace` 20 |
/// | `Ae` | `DiehlAndCookNodes` | rest −65, reset −60, thresh `exc_thresh`, refrac 5, `tc_decay` 100, traces |
/// | `Ai` | `LIFNodes` | rest −60, reset −45, thresh `inh_thresh`, refrac 2, `tc_decay` 10 |
///
/// `X → Ae`: dense, `0.3·U(0,1)`, `PostPre`, `nu`, bounds `[wmin, wmax]`,
/// `norm`. `Ae → Ai`: one-to-one `exc`. `Ai → Ae`: `−inh` to every other
/// excitatory neuron. The two fixed connections are built as a diagonal
/// sparse connection and an [`AllButSelf`] connection — O(n) per step and
/// identical to BindsNET's dense `exc·I` and `−inh·(1 − I)` matrices
/// (`fast_lateral = false` builds those dense matrices instead).
///
/// ```
/// let net = spikeflow::models::DiehlAndCook2015 { n_neurons: 10, inh: 120.0, ..Default::default() }
///     .build()
///     .unwrap();
/// assert_eq!(net.population_names(), ["X", "Ae", "Ai"]);
/// ```
#[derive(Debug, Clone)]
pub struct DiehlAndCook2015 {
    /// Number of inputs (784 for MNIST).
    pub n_inpt: usize,
    /// Input shape (`[1, 28, 28]`); `None` is `[n_inpt]`.
    pub inpt_shape: Option<Vec<usize>>,
    /// Excitatory (and inhibitory) neurons. Default 100.
    pub n_neurons: usize,
    /// Excitatory → inhibitory weight. Default 22.5.
    pub exc: f32,
    /// Inhibitory → excitatory weight magnitude. Default 17.5 (examples: 120).
    pub inh: f32,
    /// Time step (ms). Default 1.
    pub dt: f32,
    /// `(nu_pre, nu_post)`. Default `(1e-4, 1e-2)`.
    pub nu: (f32, f32),
    /// Batch reduction. Default mean.
    pub reduction: Reduction,
    /// Weight bounds of `X → Ae`. Default `[0, 1]`.
    pub wmin: f32,
    /// Upper bound. Default 1.
    pub wmax: f32,
    /// Column norm of `X → Ae`. Default 78.4.
    pub norm: f32,
    /// Threshold increment. Default 0.05.
    pub theta_plus: f32,
    /// Threshold decay time constant (ms). Default 1e7.
    pub tc_theta_decay: f32,
    /// Inhibitory threshold. Default −40.
    pub inh_thresh: f32,
    /// Excitatory threshold. Default −52.
    pub exc_thresh: f32,
    /// Batch size. Default 1.
    pub batch_size: usize,
    /// Seed of the initial weights and of the network. Default 0.
    pub seed: u64,
    /// Build the fixed lateral connections in O(n) form (default true).
    pub fast_lateral: bool,
}

impl Default for DiehlAndCook2015 {
    fn default() -> Self {
        DiehlAndCook2015 {
            n_inpt: 784,
            inpt_shape: Some(vec![1, 28, 28]),
            n_neurons: 100,
            exc: 22.5,
            inh: 17.5,
            dt: 1.0,
            nu: (1e-4, 1e-2),
            reduction: Reduction::Mean,
            wmin: 0.0,
            wmax: 1.0,
            norm: 78.4,
            theta_plus: 0.05,
            tc_theta_decay: 1e7,
            inh_thresh: -40.0,
            exc_thresh: -52.0,
            batch_size: 1,
            seed: 0,
            fast_lateral: true,
        }
    }
}

impl DiehlAndCook2015 {
    /// The excitatory population's parameters.
    pub(crate) fn excitatory(&self) -> DiehlAndCookNodes {
        DiehlAndCookNodes {
            adaptive: AdaptiveLifNodes {
                lif: LifNodes {
                    thresh: self.exc_thresh.into(),
                    rest: (-65.0).into(),
                    reset: (-60.0).into(),
                    refrac: 5.0.into(),
                    tc_decay: 100.0.into(),
                    lbound: None,
                },
                theta_plus: self.theta_plus.into(),
                tc_theta_decay: self.tc_theta_decay.into(),
            },
            one_spike: true,
        }
    }

    /// A builder holding `X`, the adaptive excitatory population `target`
    /// and the learned `X → target` connection — the part every Diehl &
    /// Cook variant shares.
    pub(crate) fn input_layers(&self, target: &str) -> NetworkBuilder {
        let traced = NodeOptions {
            traces: true,
            ..Default::default()
        };
        let shape = self.inpt_shape.clone().unwrap_or_else(|| vec![self.n_inpt]);
        let mut b = Network::builder()
            .dt(self.dt)
            .batch_size(self.batch_size)
            .seed(self.seed);
        b.add_population("X", &shape, Input, traced.clone());
        b.add_population(target, &[self.n_neurons], self.excitatory(), traced);
        b.connect(self.input_connection_for(target));
        b
    }

    /// The fixed `source → target` inhibition `−inh` to every other neuron:
    /// O(n) [`AllButSelf`], or BindsNET's dense `−inh·(1 − I)` matrix.
    pub(crate) fn lateral_inhibition(&self, source: &str, target: &str) -> Connect {
        if self.fast_lateral {
            return Connect::new(source, target, AllButSelf { weight: -self.inh });
        }
        let n = self.n_neurons;
        let mut inh = vec![-self.inh; n * n];
        for i in 0..n {
            inh[i * n + i] = 0.0;
        }
        Connect::new(source, target, Dense::with_weights(inh))
            .wmin(-self.inh)
            .wmax(0.0)
    }

    /// The learned `X → target` connection.
    pub(crate) fn input_connection_for(&self, target: &str) -> Connect {
        let n = self.n_neurons;
        Connect::new(
            "X",
            target,
            Dense::with_weights(super::uniform_weights(self.n_inpt * n, 0.3, self.seed)),
        )
        .rule(PostPre)
        .nu(self.nu)
        .reduction(self.reduction.clone())
        .wmin(self.wmin)
        .wmax(self.wmax)
        .norm(self.norm)
    }

    /// Builds the network.
    ///
    /// # Errors
    /// Invalid sizes or parameters.
    pub fn build(&self) -> Result<Network> {
        let n = self.n_neurons;
        let mut b = self.input_layers("Ae");
        let inhibitory = LifNodes {
            thresh: self.inh_thresh.into(),
            rest: (-60.0).into(),
            reset: (-45.0).into(),
            refrac: 2.0.into(),
            tc_decay: 10.0.into(),
            lbound: None,
        };
        b.add_population("Ai", &[n], inhibitory, NodeOptions::default());
        let excite = if self.fast_lateral {
            Connect::new("Ae", "Ai", Sparse::Triplets(super::diagonal(n, self.exc)))
        } else {
            let mut exc = vec![0.0; n * n];
            for i in 0..n {
                exc[i * n + i] = self.exc;
            }
            Connect::new("Ae", "Ai", Dense::with_weights(exc))
        };
        b.connect(excite.wmin(0.0).wmax(self.exc));
        b.connect(self.lateral_inhibition("Ai", "Ae"));
        b.build()
    }
}

/// BindsNET's `DiehlAndCook2015v2`: `X → Y` as above, and the inhibitory
/// layer replaced by a recurrent `Y → Y` connection `−inh·(1 − I)`.
#[derive(Debug, Clone, Default)]
pub struct DiehlAndCook2015v2 {
    /// The shared parameters (`exc`, `inh_thresh` and `fast_lateral` apply
    /// as in [`DiehlAndCook2015`]; the population is called `Y`).
    pub params: DiehlAndCook2015,
}

impl DiehlAndCook2015v2 {
    /// Builds the network (`X`, `Y`).
    ///
    /// # Errors
    /// Invalid sizes or parameters.
    pub fn build(&self) -> Result<Network> {
        let mut b = self.params.input_layers("Y");
        b.connect(self.params.lateral_inhibition("Y", "Y"));
        b.build()
    }
}
