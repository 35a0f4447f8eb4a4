//! BindsNET's dot-tracing task (`bindsnet/environment/dot_simulator.py`,
//! `DotSimulator`): a network-controlled dot chases a target dot on a
//! `height × width` grid.
//!
//! Directions (`speed` cells per step; "up" increases the row):
//! 0 stay, 1 up, 2 right, 3 down, 4 left, and with `diagonal` 5 up-right,
//! 6 down-right, 7 down-left, 8 up-left. The action is the direction of the
//! network's dot (5 or 9 actions; with `allow_stay` false the target never
//! picks 0).
//!
//! `reset(seed)`: the network's dot, the target(s) and the red herrings
//! start uniformly in rows `⌊h/5⌋ ..= ⌊4h/5⌋`, columns `⌊w/5⌋ ..= ⌊4w/5⌋`;
//! the target direction is drawn uniformly. `step(action)`, in order:
//! 1. with probability `randr` the target direction is drawn again;
//! 2. the network's dot moves by `action`;
//! 3. the reward, from the network's dot after its move and the first
//!    target before its move: `bullseye` (default 10) and an *intercept*
//!    if they coincide (the network's dot then teleports to a random cell
//!    of the central region, and the grid is cleared), otherwise
//!    `Euclidean`: `−√(Δr² + Δc²)`; `RangeRings`: `⌊−√(Δr² + Δc²) / ring_size⌋`;
//!    `Directional`: per axis +1 if the distance to the target shrank, −1
//!    if it grew;
//! 4. the targets move in the target direction, each red herring in a
//!    direction drawn for it;
//! 5. done after `steps` steps.
//!
//! Edges: `Stay` clamps; `Bounce` reflects (`r ← h − 1 − (r mod h)`) and
//! turns a target's direction; `Translate` wraps around. Each moved dot is
//! drawn with a tail of its last `decay` positions, position `k` back at
//! `min(cell + 1 − k/decay, 1)`. The observation is the grid, row-major.
//!
//! Differences from BindsNET: draws come from spikeflow's generator (the
//! same distributions, not Python's stream); a target bouncing off a
//! corner takes the reflected diagonal (BindsNET adds both turns to the
//! original direction and ends on an invalid direction, which fails at its
//! next move); the displacement fitness (a 2-vector reward) is not
//! available: rewards are scalars here.

use super::env::{check_action, not_running, Environment, Space, Step};
use crate::rng::Rng;
use crate::{Error, Result};

/// What a dot does at the edge of the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DotBounds {
    /// Stops at the edge (BindsNET's `stay`, the default).
    #[default]
    Stay,
    /// Reflects; a target's direction turns (`bounce`).
    Bounce,
    /// Reappears on the opposite edge (`trans`).
    Translate,
}

/// The reward of a step without intercept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DotFitness {
    /// Minus the Euclidean distance (BindsNET's `euc`, the default).
    #[default]
    Euclidean,
    /// Minus the distance in rings of `ring_size`, floored (`rng`).
    RangeRings,
    /// +1 / −1 per axis for moving closer / farther (`dir`).
    Directional,
}

/// `DotSimulator`'s parameters (defaults: BindsNET's).
#[derive(Debug, Clone, PartialEq)]
pub struct DotParams {
    /// Steps per episode (BindsNET's `t`; required there). Default 100.
    pub steps: usize,
    /// Rows. 28.
    pub height: usize,
    /// Columns. 28.
    pub width: usize,
    /// Tail length (positions drawn per dot). 1.
    pub decay: usize,
    /// Target dots (the first one is chased). 1.
    pub dots: usize,
    /// Red herrings (distractors moving at random). 0.
    pub herrings: usize,
    /// Cells per move. 1.
    pub speed: usize,
    /// Probability of a new target direction each step. 1.
    pub randr: f64,
    /// Whether the target may pick "stay". true.
    pub allow_stay: bool,
    /// Diagonal moves (9 directions instead of 5). false.
    pub diagonal: bool,
    /// Edge handling. `Stay`.
    pub bounds: DotBounds,
    /// Reward without intercept. `Euclidean`.
    pub fitness: DotFitness,
    /// Ring size of `RangeRings`. 2.
    pub ring_size: f64,
    /// Intercept reward (0: no intercepts). 10.
    pub bullseye: f32,
    /// Teleport the network's dot after an intercept. true.
    pub teleport: bool,
}

impl Default for DotParams {
    fn default() -> Self {
        DotParams {
            steps: 100,
            height: 28,
            width: 28,
            decay: 1,
            dots: 1,
            herrings: 0,
            speed: 1,
            randr: 1.0,
            allow_stay: true,
            diagonal: false,
            bounds: DotBounds::Stay,
            fitness: DotFitness::Euclidean,
            ring_size: 2.0,
            bullseye: 10.0,
            teleport: true,
        }
    }
}

/// A dot and its tail (most recent first).
#[derive(Debug, Clone, PartialEq)]
struct Dot {
    trail: Vec<(i64, i64)>,
}

impl Dot {
    fn new(r: i64, c: i64, decay: usize) -> Self {
        Dot {
            trail: vec![(r, c); decay],
        }
    }
    fn head(&self) -> (i64, i64) {
        self.trail[0]
    }
}

/// The dot-tracing environment.
#[derive(Debug, Clone)]
pub struct DotSimulator {
    p: DotParams,
    rng: Rng,
    net: Dot,
    targets: Vec<Dot>,
    herrings: Vec<Dot>,
    direction: usize,
    grid: Vec<f32>,
    t: usize,
    running: bool,
}

/// Row and column change of a direction.
fn delta(dir: usize) -> (i64, i64) {
    match dir {
        1 => (1, 0),
        2 => (0, 1),
        3 => (-1, 0),
        4 => (0, -1),
        5 => (1, 1),
        6 => (-1, 1),
        7 => (-1, -1),
        8 => (1, -1),
        _ => (0, 0),
    }
}

/// The direction with the row (or column) component reversed.
fn reflect(dir: usize, row: bool) -> usize {
    let (dr, dc) = delta(dir);
    let (dr, dc) = if row { (-dr, dc) } else { (dr, -dc) };
    (0..9).find(|&d| delta(d) == (dr, dc)).unwrap_or(0)
}

impl DotSimulator {
    /// A dot simulator.
    ///
    /// # Errors
    /// Zero steps, size, tail, speed or targets; a grid under 5×5 (the
    /// start region would be degenerate); `randr` outside `[0, 1]`; a
    /// non-positive ring size or non-finite bullseye.
    pub fn new(p: DotParams) -> Result<Self> {
        let o = "DotSimulator";
        for (what, v) in [
            ("steps", p.steps),
            ("decay", p.decay),
            ("dots", p.dots),
            ("speed", p.speed),
        ] {
            if v == 0 {
                return Err(Error::param(o, format!("{what} must be > 0")));
            }
        }
        if p.height < 5 || p.width < 5 {
            return Err(Error::param(
                o,
                format!(
                    "the grid must be at least 5×5, got {}×{}",
                    p.height, p.width
                ),
            ));
        }
        if !(0.0..=1.0).contains(&p.randr) {
            return Err(Error::param(
                o,
                format!("randr must be in [0, 1], got {}", p.randr),
            ));
        }
        if !(p.ring_size.is_finite() && p.ring_size > 0.0) {
            return Err(Error::param(
                o,
                format!("ring_size must be > 0, got {}", p.ring_size),
            ));
        }
        crate::error::finite(o, "bullseye", p.bullseye)?;
        let n = p.height * p.width;
        Ok(DotSimulator {
            net: Dot::new(0, 0, p.decay),
            targets: Vec::new(),
            herrings: Vec::new(),
            direction: 0,
            grid: vec![0.0; n],
            t: 0,
            running: false,
            rng: Rng::seed_from_u64(0),
            p,
        })
    }

    fn choices(&self) -> usize {
        if self.p.diagonal {
            9
        } else {
            5
        }
    }

    /// A direction the target may draw.
    fn draw_direction(&mut self) -> usize {
        let lo = usize::from(!self.p.allow_stay);
        lo + self.rng.below(self.choices() - lo)
    }

    /// A cell of the central start region.
    fn draw_cell(&mut self) -> (i64, i64) {
        let (h, w) = (self.p.height, self.p.width);
        let r = h / 5 + self.rng.below(4 * h / 5 - h / 5 + 1);
        let c = w / 5 + self.rng.below(4 * w / 5 - w / 5 + 1);
        (r as i64, c as i64)
    }

    /// The network's dot `(row, column)`.
    pub fn network_dot(&self) -> (i64, i64) {
        self.net.head()
    }
    /// The chased target `(row, column)`.
    pub fn target(&self) -> (i64, i64) {
        self.targets.first().map_or((0, 0), Dot::head)
    }
    /// The target direction.
    pub fn direction(&self) -> usize {
        self.direction
    }

    /// Places the network's dot and the first target and sets the target
    /// direction, starting an episode there (for tests and hand-made
    /// starts; tails restart at the new cells).
    ///
    /// # Errors
    /// A cell outside the grid or a direction outside the action space.
    pub fn place(&mut self, net: (i64, i64), target: (i64, i64), direction: usize) -> Result<()> {
        let (h, w) = (self.p.height as i64, self.p.width as i64);
        for (r, c) in [net, target] {
            if !(0..h).contains(&r) || !(0..w).contains(&c) {
                return Err(Error::param(
                    "DotSimulator",
                    format!("cell ({r}, {c}) is outside the grid"),
                ));
            }
        }
        check_action("DotSimulator", direction, self.choices())?;
        if self.targets.is_empty() {
            self.targets.push(Dot::new(0, 0, self.p.decay));
        }
        self.net = Dot::new(net.0, net.1, self.p.decay);
        self.targets[0] = Dot::new(target.0, target.1, self.p.decay);
        self.direction = direction;
        self.t = 0;
        self.running = true;
        Ok(())
    }

    /// Moves `dot` in `dir` (the target direction when `target`), handling
    /// edges, and draws its tail.
    fn move_dot(&mut self, which: Which, dir: usize, target: bool) {
        let (h, w) = (self.p.height as i64, self.p.width as i64);
        let s = self.p.speed as i64;
        let dot = match which {
            Which::Net => &mut self.net,
            Which::Target(k) => &mut self.targets[k],
            Which::Herring(k) => &mut self.herrings[k],
        };
        let (dr, dc) = delta(dir);
        let (mut r, mut c) = dot.head();
        r += s * dr;
        c += s * dc;
        let mut new_dir = self.direction;
        match self.p.bounds {
            DotBounds::Stay => {
                r = r.clamp(0, h - 1);
                c = c.clamp(0, w - 1);
            }
            DotBounds::Bounce => {
                if r < 0 || r >= h {
                    r = h - 1 - r.rem_euclid(h);
                    if target {
                        new_dir = reflect(new_dir, true);
                    }
                }
                if c < 0 || c >= w {
                    c = w - 1 - c.rem_euclid(w);
                    if target {
                        new_dir = reflect(new_dir, false);
                    }
                }
            }
            DotBounds::Translate => {
                r = r.rem_euclid(h);
                c = c.rem_euclid(w);
            }
        }
        dot.trail.rotate_right(1);
        dot.trail[0] = (r, c);
        let decay = self.p.decay as f32;
        for (k, &(r, c)) in dot.trail.iter().enumerate() {
            let cell = &mut self.grid[r as usize * self.p.width + c as usize];
            *cell = (*cell + 1.0 - k as f32 / decay).min(1.0);
        }
        if target {
            self.direction = new_dir;
        }
    }

    fn reward(&self, prev: (i64, i64)) -> (f32, bool) {
        let (nr, nc) = self.net.head();
        let (tr, tc) = self.target();
        if self.p.bullseye != 0.0 && (nr, nc) == (tr, tc) {
            return (self.p.bullseye, true);
        }
        let dist = (((tr - nr).pow(2) + (tc - nc).pow(2)) as f64).sqrt();
        let r = match self.p.fitness {
            DotFitness::Euclidean => -dist,
            DotFitness::RangeRings => (-dist / self.p.ring_size).floor(),
            DotFitness::Directional => {
                let axis = |before: i64, after: i64| match after.cmp(&before) {
                    std::cmp::Ordering::Less => 1.0,
                    std::cmp::Ordering::Greater => -1.0,
                    std::cmp::Ordering::Equal => 0.0,
                };
                axis((tr - prev.0).abs(), (tr - nr).abs())
                    + axis((tc - prev.1).abs(), (tc - nc).abs())
            }
        };
        (r as f32, false)
    }
}

#[derive(Debug, Clone, Copy)]
enum Which {
    Net,
    Target(usize),
    Herring(usize),
}

impl Environment for DotSimulator {
    fn name(&self) -> &str {
        "DotSimulator"
    }

    fn observation_space(&self) -> Space {
        let n = self.p.height * self.p.width;
        Space::Box {
            low: vec![0.0; n],
            high: vec![1.0; n],
        }
    }

    fn action_space(&self) -> Space {
        Space::Discrete(self.choices())
    }

    fn reset(&mut self, seed: u64) -> Result<Vec<f32>> {
        self.rng = Rng::seed_from_u64(seed);
        self.t = 0;
        self.grid.fill(0.0);
        let w = self.p.width;
        let (r, c) = self.draw_cell();
        self.net = Dot::new(r, c, self.p.decay);
        self.grid[r as usize * w + c as usize] = 1.0;
        self.direction = self.draw_direction();
        self.targets.clear();
        for _ in 0..self.p.dots {
            let (r, c) = self.draw_cell();
            self.targets.push(Dot::new(r, c, self.p.decay));
            self.grid[r as usize * w + c as usize] = 1.0;
        }
        self.herrings.clear();
        for _ in 0..self.p.herrings {
            let (r, c) = self.draw_cell();
            self.herrings.push(Dot::new(r, c, self.p.decay));
            self.grid[r as usize * w + c as usize] = 1.0;
        }
        self.running = true;
        Ok(self.grid.clone())
    }

    fn step(&mut self, action: usize) -> Result<Step> {
        check_action("DotSimulator", action, self.choices())?;
        if !self.running {
            return Err(not_running("DotSimulator"));
        }
        self.t += 1;
        if self.rng.uniform_f64() <= self.p.randr {
            self.direction = self.draw_direction();
        }
        self.grid.fill(0.0);
        let prev = self.net.head();
        self.move_dot(Which::Net, action, false);
        let (reward, intercept) = self.reward(prev);
        if intercept && self.p.teleport {
            let (r, c) = self.draw_cell();
            self.net = Dot::new(r, c, self.p.decay);
            self.grid.fill(0.0);
            self.grid[r as usize * self.p.width + c as usize] = 1.0;
        }
        for k in 0..self.targets.len() {
            let d = self.direction;
            self.move_dot(Which::Target(k), d, true);
        }
        for k in 0..self.herrings.len() {
            let d = self.draw_direction();
            self.move_dot(Which::Herring(k), d, false);
        }
        let done = self.t >= self.p.steps;
        self.running = !done;
        Ok(Step {
            observation: self.grid.clone(),
            reward,
            done,
            truncated: false,
            info: vec![("intercept".into(), f64::from(u8::from(intercept)))],
        })
    }
}
