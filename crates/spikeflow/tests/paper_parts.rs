//! The paper model cut over threads (`PaperParts`) against one presenter:
//! the same counts, presentations, weights and state, bit for bit, for 2
//! and 3 parts (3 cuts 40 neurons unevenly), learning on and off.

mod support;

use spikeflow::models::diehl_cook_paper::DiehlCookPaper;
use spikeflow::models::Presenter;
use support::images;

#[test]
fn parts_run_the_paper_model_as_one_presenter_does() {
    let cfg = DiehlCookPaper {
        n_neurons: 40,
        seed: 3,
        // A low first intensity: some images are shown again.
        intensity: 0.5,
        ..Default::default()
    };
    let imgs = images(6);
    let mut one = cfg.build().unwrap();
    let want: Vec<Vec<f32>> = imgs
        .iter()
        .enumerate()
        .map(|(k, img)| one.present(img, k < 4).unwrap())
        .collect();
    assert!(
        one.presentations() > imgs.len() as u64,
        "the test needs repeated presentations"
    );
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let w_one = bits(one.network().weights("X -> Ae").unwrap());
    let theta_one = bits(
        one.network()
            .population("Ae")
            .unwrap()
            .variable("theta")
            .unwrap(),
    );
    let v_one = bits(
        one.network()
            .population("Ai")
            .unwrap()
            .variable("v")
            .unwrap(),
    );
    for parts in [2, 3] {
        let mut p = cfg.build_parts(parts).unwrap();
        for (k, img) in imgs.iter().enumerate() {
            let got = p.present(img, k < 4).unwrap();
            assert_eq!(bits(&got), bits(&want[k]), "{parts} parts, image {k}");
        }
        assert_eq!(p.presentations(), one.presentations(), "{parts} parts");
        assert_eq!(p.last_intensity(), one.last_intensity(), "{parts} parts");
        assert_eq!(
            bits(p.input_weights().unwrap().data()),
            w_one,
            "{parts} parts"
        );
        let theta = p.population_variable("Ae", "theta").unwrap();
        assert_eq!(bits(theta.data()), theta_one, "{parts} parts");
        let v = p.population_variable("Ai", "v").unwrap();
        assert_eq!(bits(v.data()), v_one, "{parts} parts");
        // The parts' whole snapshot is the presenter's, array for array.
        let (snap, want) = (p.snapshot().unwrap(), one.network().snapshot());
        assert_eq!(snap.rng, want.rng);
        let names =
            |s: &spikeflow::Snapshot| s.arrays.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        assert_eq!(names(&snap), names(&want), "{parts} parts");
        for ((name, got), (_, w)) in snap.arrays.iter().zip(&want.arrays) {
            assert_eq!(bits(got), bits(w), "{parts} parts: {name}");
        }
    }
}

#[test]
fn a_checkpoint_moves_between_one_network_and_any_number_of_parts() {
    let cfg = DiehlCookPaper {
        n_neurons: 30,
        seed: 5,
        ..Default::default()
    };
    let imgs = images(6);
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    // One network throughout.
    let mut one = cfg.build().unwrap();
    let mut want = Vec::new();
    for img in &imgs {
        want.push(bits(&one.present(img, true).unwrap()));
    }
    // Two parts for two images, then one network for two, then three
    // parts: each taking the other's snapshot and encoder.
    let mut got = Vec::new();
    let mut two = cfg.build_parts(2).unwrap();
    for img in &imgs[..2] {
        got.push(bits(&two.present(img, true).unwrap()));
    }
    let mut mid = cfg.build().unwrap();
    mid.network_mut().restore(&two.snapshot().unwrap()).unwrap();
    mid.set_encoder_rng(two.encoder_rng().unwrap());
    for img in &imgs[2..4] {
        got.push(bits(&mid.present(img, true).unwrap()));
    }
    let mut three = cfg.build_parts(3).unwrap();
    three.restore(&mid.network().snapshot()).unwrap();
    three.set_encoder_rng(mid.encoder_rng()).unwrap();
    for img in &imgs[4..] {
        got.push(bits(&three.present(img, true).unwrap()));
    }
    assert_eq!(got, want);
    assert_eq!(
        bits(three.input_weights().unwrap().data()),
        bits(one.network().weights("X -> Ae").unwrap())
    );
    // Another network's snapshot is refused, and the parts are unchanged.
    let other = DiehlCookPaper {
        n_neurons: 31,
        ..Default::default()
    };
    let e = three
        .restore(&other.build().unwrap().network().snapshot())
        .unwrap_err()
        .to_string();
    assert!(e.contains("snapshot"), "{e}");
    assert_eq!(
        bits(three.input_weights().unwrap().data()),
        bits(one.network().weights("X -> Ae").unwrap())
    );
}

#[test]
fn parts_refuse_bad_input_and_sizes() {
    let cfg = DiehlCookPaper {
        n_neurons: 4,
        ..Default::default()
    };
    let mut p = cfg.build_parts(2).unwrap();
    let e = p.present(&[0.5; 10], true).unwrap_err().to_string();
    assert!(e.contains("10 pixel values for 784 inputs"), "{e}");
    // The parts are still in step after the refusal.
    assert_eq!(p.present(&[0.5; 784], true).unwrap().len(), 4);
    let e = cfg.build_parts(5).unwrap_err().to_string();
    assert!(e.contains("4 neurons cannot be cut into 5 parts"), "{e}");
    let e = cfg.build_parts(0).unwrap_err().to_string();
    assert!(e.contains("at least one part"), "{e}");
}

/// A presenter restored from a snapshot goes on as the one it was taken
/// from, to the bit: θ's decay is kept in f64, and the snapshot keeps what
/// its f32 image leaves out (`theta_low`; without it the restored θ drifted
/// by an ulp and the runs parted). A snapshot written before `theta_low`
/// existed still restores (θ read back from f32, as it was then).
#[test]
fn a_restored_presenter_goes_on_bit_for_bit() {
    let cfg = DiehlCookPaper {
        n_neurons: 6,
        exposure_ms: 20.0,
        intensity: 40.0,
        ..Default::default()
    };
    let imgs = images(8);
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let mut a = cfg.build().unwrap();
    for img in &imgs[..4] {
        a.present(img, true).unwrap();
    }
    let snap = a.network().snapshot();
    assert!(snap.arrays.iter().any(|(n, _)| n == "pop/Ae/theta_low"));
    let mut b = cfg.build().unwrap();
    b.network_mut().restore(&snap).unwrap();
    b.set_encoder_rng(a.encoder_rng().clone());
    for img in &imgs[4..] {
        a.present(img, true).unwrap();
        b.present(img, true).unwrap();
    }
    let (sa, sb) = (a.network().snapshot(), b.network().snapshot());
    for ((name, x), (_, y)) in sa.arrays.iter().zip(&sb.arrays) {
        assert_eq!(bits(x), bits(y), "{name} after the restore");
    }
    let mut old = snap.clone();
    old.arrays.retain(|(n, _)| !n.ends_with("/theta_low"));
    let mut c = cfg.build().unwrap();
    c.network_mut().restore(&old).unwrap();
    let theta = |p: &spikeflow::models::diehl_cook_paper::PaperPresenter| {
        bits(
            p.network()
                .population("Ae")
                .unwrap()
                .variable("theta")
                .unwrap(),
        )
    };
    let mut at_snap = cfg.build().unwrap();
    at_snap.network_mut().restore(&snap).unwrap();
    assert_eq!(theta(&c), theta(&at_snap));
}

#[test]
fn parts_carry_a_non_default_euler_limit() {
    // One inhibitory spike of 300 gives the factor 0.005·301 ≈ 1.5: the
    // default limit (1) lands on v_∞, a limit of 2 takes the script's
    // overshooting step. The parts must step as one presenter with the
    // same limit, and differ from the default.
    let cfg = |limit: f32| {
        let mut c = DiehlCookPaper {
            n_neurons: 20,
            seed: 5,
            inh_to_exc: 300.0,
            ..Default::default()
        };
        c.excitatory.euler_limit = limit;
        c.inhibitory.euler_limit = limit;
        c
    };
    let imgs = images(3);
    let v_after = |limit: f32, parts: usize| -> Vec<u32> {
        let v = if parts == 1 {
            let mut p = cfg(limit).build().unwrap();
            for img in &imgs {
                p.present(img, true).unwrap();
            }
            p.network()
                .population("Ae")
                .unwrap()
                .variable("v")
                .unwrap()
                .to_vec()
        } else {
            let mut p = cfg(limit).build_parts(parts).unwrap();
            for img in &imgs {
                p.present(img, true).unwrap();
            }
            p.population_variable("Ae", "v").unwrap().data().to_vec()
        };
        v.iter().map(|x| x.to_bits()).collect()
    };
    let one = v_after(2.0, 1);
    assert_eq!(v_after(2.0, 2), one, "2 parts, limit 2");
    assert_ne!(v_after(1.0, 1), one, "the limit must matter in this test");
}
