//! Trackers: JPDA / JIPDA marginals against brute-force enumeration (including the k-best
//! approximation and its triggers), the weighted (PDA) update of every track filter against
//! closed forms, and whole trackers on bad input, clutter bursts, extended objects, IMM and UKF
//! tracks, score and existence logic.

use kestrel::estimation::{
    embed, Embedding, ImmEstimator, KalmanFilter, Mode, SigmaPoints, UnscentedKalmanFilter,
};
use kestrel::models::measurement::{PositionMeasurement, RangeBearing};
use kestrel::models::motion::{ConstantVelocity, CoordinatedTurn};
use kestrel::tracking::{
    AssociationInput, AssociationOutput, Associator, ExtendedTrack, GatedPair, ImmTrack, Jpda,
    KalmanTrack, TrackClusters, TrackFilter,
};
use nalgebra::{DMatrix, Matrix2, Matrix4, SMatrix, SVector, Vector2, Vector4};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A random association problem: `n` tracks, `m` detections, each pair gated with probability
/// `density`.
struct Problem {
    n: usize,
    m: usize,
    pairs: Vec<GatedPair>,
    ll: Vec<f64>,
    existence: Vec<f64>,
    offsets: Vec<usize>,
}

fn problem(rng: &mut StdRng, n: usize, m: usize, density: f64, existence: bool) -> Problem {
    let mut pairs = Vec::new();
    let mut ll = Vec::new();
    let mut offsets = vec![0];
    for t in 0..n {
        for d in 0..m {
            if rng.random_bool(density) {
                pairs.push(GatedPair {
                    track: t,
                    detection: d,
                    distance_squared: rng.random_range(0.0..9.0),
                });
                ll.push(rng.random_range(-8.0..-1.0));
            }
        }
        offsets.push(pairs.len());
    }
    let existence = (0..n)
        .map(|_| {
            if existence {
                rng.random_range(0.05..1.0)
            } else {
                1.0
            }
        })
        .collect();
    Problem {
        n,
        m,
        pairs,
        ll,
        existence,
        offsets,
    }
}

fn associate(jpda: &mut Jpda, p: &Problem) -> AssociationOutput {
    let mut clusters = TrackClusters::new();
    let clusters = clusters
        .build(p.n, p.m, p.pairs.iter().map(|q| (q.track, q.detection)))
        .unwrap()
        .to_vec();
    let ln_det = vec![0.0; p.n];
    let input = AssociationInput {
        n_tracks: p.n,
        n_detections: p.m,
        pairs: &p.pairs,
        log_likelihoods: &p.ll,
        ln_det_s: &ln_det,
        existence: &p.existence,
        track_pairs: &p.offsets,
        clusters: &clusters,
    };
    let mut out = AssociationOutput::default();
    jpda.associate(&input, &mut out).unwrap();
    out
}

/// Brute force over every track's (does not exist | exists and missed | exists and takes one of
/// its gated detections), no detection used twice. Returns per track the conditional weights
/// (per pair, in pair order), the conditional missed weight and the posterior existence.
fn enumerate(p: &Problem, pd: f64, pg: f64, lambda: f64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    // choices: -2 = does not exist, -1 = exists and missed, k >= 0 = pair index
    fn rec(
        t: usize,
        p: &Problem,
        used: &mut Vec<bool>,
        w: f64,
        choice: &mut Vec<i64>,
        acc: &mut dyn FnMut(&[i64], f64),
        weights: &dyn Fn(usize, i64) -> f64,
    ) {
        if t == p.n {
            acc(choice, w);
            return;
        }
        for c in [-2i64, -1] {
            choice.push(c);
            rec(t + 1, p, used, w * weights(t, c), choice, acc, weights);
            choice.pop();
        }
        for k in p.offsets[t]..p.offsets[t + 1] {
            let d = p.pairs[k].detection;
            if used[d] {
                continue;
            }
            used[d] = true;
            choice.push(k as i64);
            rec(
                t + 1,
                p,
                used,
                w * weights(t, k as i64),
                choice,
                acc,
                weights,
            );
            choice.pop();
            used[d] = false;
        }
    }
    let weights = |t: usize, c: i64| -> f64 {
        let r = p.existence[t];
        match c {
            -2 => 1.0 - r,
            -1 => r * (1.0 - pd * pg),
            k => r * pd * p.ll[k as usize].exp() / lambda,
        }
    };
    let mut pair_mass = vec![0.0; p.pairs.len()];
    let mut missed_mass = vec![0.0; p.n];
    let mut exists_mass = vec![0.0; p.n];
    let mut total = 0.0;
    let mut acc = |choice: &[i64], w: f64| {
        total += w;
        for (t, &c) in choice.iter().enumerate() {
            if c >= -1 {
                exists_mass[t] += w;
            }
            if c == -1 {
                missed_mass[t] += w;
            } else if c >= 0 {
                pair_mass[c as usize] += w;
            }
        }
    };
    rec(
        0,
        p,
        &mut vec![false; p.m],
        1.0,
        &mut Vec::new(),
        &mut acc,
        &weights,
    );
    let weights: Vec<f64> = p
        .pairs
        .iter()
        .zip(&pair_mass)
        .map(|(q, m)| m / exists_mass[q.track])
        .collect();
    let missed = (0..p.n).map(|t| missed_mass[t] / exists_mass[t]).collect();
    let existence = exists_mass.iter().map(|e| e / total).collect();
    (weights, missed, existence)
}

fn assert_matches_enumeration(out: &AssociationOutput, p: &Problem, jpda: &Jpda, tol: f64) {
    let (w, missed, existence) = enumerate(
        p,
        jpda.detection_probability(),
        jpda.gate_probability(),
        jpda.clutter_density(),
    );
    for (k, (a, b)) in out.pair_weights.iter().zip(&w).enumerate() {
        assert!((a - b).abs() <= tol, "pair {k}: {a} vs {b}");
    }
    for t in 0..p.n {
        assert!((out.missed[t] - missed[t]).abs() <= tol, "track {t} missed");
        let e = out.existence[t].unwrap();
        assert!(
            (e - existence[t]).abs() <= tol,
            "track {t}: {e} vs {}",
            existence[t]
        );
        // conditional weights of a track sum to 1
        let sum: f64 = out.pair_weights[p.offsets[t]..p.offsets[t + 1]]
            .iter()
            .sum();
        assert!((sum + out.missed[t] - 1.0).abs() < 1e-12);
    }
}

#[test]
fn jpda_and_jipda_marginals_equal_enumeration() {
    let mut rng = StdRng::seed_from_u64(11);
    let mut jpda = Jpda::new(0.85, 0.99, 2e-3).unwrap();
    let mut largest = 0;
    for case in 0..60 {
        let n = 1 + case % 7;
        let m = 1 + rng.random_range(0..8);
        let p = problem(&mut rng, n, m, 0.45, case % 2 == 1);
        let out = associate(&mut jpda, &p);
        assert_eq!(out.approximated_clusters, 0);
        largest = largest.max(out.largest_cluster);
        assert_matches_enumeration(&out, &p, &jpda, 1e-12);
    }
    assert!(largest >= 6);
}

#[test]
fn k_best_approximation_and_its_triggers() {
    let mut rng = StdRng::seed_from_u64(5);
    let p = problem(&mut rng, 6, 7, 0.6, true);
    // Cap of 2 tracks per exact cluster, k = 100000 >= every event: exact again.
    let mut all = Jpda::new(0.9, 0.99, 1e-3)
        .unwrap()
        .with_limits(2, 1_000_000, 100_000)
        .unwrap();
    let out = associate(&mut all, &p);
    assert!(out.approximated_clusters >= 1);
    assert_matches_enumeration(&out, &p, &all, 1e-12);
    // k = 5: an approximation over the 5 most probable events; weights still sum to 1 and the
    // dominant association of each track is kept
    let mut few = all.clone().with_limits(2, 1_000_000, 5).unwrap();
    let approx = associate(&mut few, &p);
    assert!(approx.approximated_clusters >= 1);
    for t in 0..p.n {
        let r = p.offsets[t]..p.offsets[t + 1];
        let sum: f64 = approx.pair_weights[r.clone()].iter().sum();
        assert!((sum + approx.missed[t] - 1.0).abs() < 1e-12);
        let best = |o: &AssociationOutput| {
            let mut v: Vec<f64> = o.pair_weights[r.clone()].to_vec();
            v.push(o.missed[t]);
            v.iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map(|(i, _)| i)
        };
        assert_eq!(best(&approx), best(&out), "track {t}");
    }
    // A state budget of 10 merged hypotheses also falls back to k-best.
    let mut budget = Jpda::new(0.9, 0.99, 1e-3)
        .unwrap()
        .with_limits(12, 10, 100_000)
        .unwrap();
    let out = associate(&mut budget, &p);
    assert!(out.approximated_clusters >= 1);
    assert_matches_enumeration(&out, &p, &budget, 1e-12);
    assert!(Jpda::new(0.9, 0.99, 1e-3)
        .unwrap()
        .with_limits(0, 1, 1)
        .is_err());
    assert!(Jpda::new(1.0, 1.0, 1e-3).is_err());
    assert!(Jpda::new(0.9, 0.99, 0.0).is_err());
}

type Kf = KalmanTrack<4, ConstantVelocity, PositionMeasurement<4>>;

fn kf_track(x: Vector4<f64>, p: Matrix4<f64>) -> Kf {
    KalmanTrack::new(
        KalmanFilter::new(x, p).unwrap(),
        ConstantVelocity::new(0.2).unwrap(),
        PositionMeasurement::<4>::with_covariance(
            ConstantVelocity::POSITION,
            Matrix2::new(0.5, 0.1, 0.1, 0.7),
        )
        .unwrap(),
    )
}

fn prior() -> (Vector4<f64>, Matrix4<f64>) {
    let a = Matrix4::new(
        1.0, 0.2, 0.0, 0.1, 0.0, 0.8, 0.3, 0.0, 0.1, 0.0, 1.2, 0.2, 0.0, 0.1, 0.0, 0.6,
    );
    (Vector4::new(3.0, 1.0, -2.0, 0.5), a * a.transpose())
}

/// Moment-matched mixture of Kalman updates: the PDA posterior computed the long way.
fn mixture(
    x: &Vector4<f64>,
    p: &Matrix4<f64>,
    zs: &[Vector2<f64>],
    w: &[f64],
    w0: f64,
) -> (Vector4<f64>, Matrix4<f64>) {
    let total: f64 = w.iter().sum::<f64>() + w0;
    let mut comps = vec![(*x, *p, w0 / total)];
    for (z, wi) in zs.iter().zip(w) {
        let mut t = kf_track(*x, *p);
        t.filter.update(&t.measurement, z).unwrap();
        comps.push((*t.filter.state(), *t.filter.covariance(), wi / total));
    }
    let mean: Vector4<f64> = comps.iter().map(|(m, _, w)| m * *w).sum();
    let cov: Matrix4<f64> = comps
        .iter()
        .map(|(m, c, w)| (c + (m - mean) * (m - mean).transpose()) * *w)
        .sum();
    (mean, cov)
}

#[test]
fn pda_update_is_the_moment_matched_mixture() {
    let (x, p) = prior();
    let zs = [
        Vector2::new(3.5, -1.0),
        Vector2::new(1.0, -3.0),
        Vector2::new(4.2, -2.4),
    ];
    for (w, w0) in [
        ([0.5, 0.2, 0.1], 0.2),
        ([1.0, 0.0, 0.0], 0.0),
        ([0.0, 0.0, 0.0], 1.0),
        ([2.0, 1.0, 1.0], 4.0), // unnormalised weights are normalised
    ] {
        let mut t = kf_track(x, p);
        t.update_weighted(&zs, &w, w0).unwrap();
        let (em, ec) = mixture(&x, &p, &zs, &w, w0);
        assert!((TrackFilter::<4, 2>::state(&t) - em).amax() < 1e-12);
        assert!((TrackFilter::<4, 2>::covariance(&t) - ec).amax() < 1e-12);
    }
    // bad weights are rejected and leave the track unchanged
    let mut t = kf_track(x, p);
    assert!(t.update_weighted(&zs, &[0.5, 0.5], 0.0).is_err());
    assert!(t.update_weighted(&zs, &[0.5, -0.1, 0.1], 0.5).is_err());
    assert!(t.update_weighted(&zs, &[0.0; 3], 0.0).is_err());
    assert!(t
        .update_weighted(&[Vector2::new(f64::NAN, 0.0)], &[1.0], 0.0)
        .is_err());
    assert_eq!(*t.filter.state(), x);
}

#[test]
fn every_filter_gives_the_kalman_gate_and_update_on_a_linear_problem() {
    let (x, p) = prior();
    let cv = ConstantVelocity::new(0.2).unwrap();
    let sensor = PositionMeasurement::<4>::with_covariance(
        ConstantVelocity::POSITION,
        Matrix2::new(0.5, 0.1, 0.1, 0.7),
    )
    .unwrap();
    let zs = [Vector2::new(4.5, -1.0), Vector2::new(2.0, -2.0)];
    let (w, w0) = ([0.6, 0.3], 0.1);
    let mut kf = kf_track(x, p);
    let mut ekf: ExtendedTrack<4, _, _> = ExtendedTrack::new(
        kestrel::estimation::ExtendedKalmanFilter::new(x, p).unwrap(),
        cv,
        sensor,
    );
    let points = SigmaPoints::merwe(0.5, 2.0, 0.0).unwrap();
    let mut ukf = kestrel::tracking::UnscentedTrack::new(
        UnscentedKalmanFilter::new(x, p, points).unwrap(),
        cv,
        sensor,
    );
    let mode = |q: f64| {
        embed(
            Mode::new(
                KalmanFilter::new(x, p).unwrap(),
                ConstantVelocity::new(q).unwrap(),
                sensor,
            ),
            Embedding::<4, 4>::identity().unwrap(),
        )
    };
    let imm = ImmEstimator::<4, 2>::new(
        vec![mode(0.2), mode(0.2)],
        &DMatrix::from_row_slice(2, 2, &[0.9, 0.1, 0.2, 0.8]),
        &[0.3, 0.7],
    )
    .unwrap();
    let mut imm = ImmTrack::new(imm, sensor);
    let filters: [&mut dyn TrackFilter<4, 2>; 4] = [&mut kf, &mut ekf, &mut ukf, &mut imm];
    let mut results = Vec::new();
    for f in filters {
        f.predict(0.7).unwrap();
        let gate = f.measurement_prediction().unwrap();
        f.update_weighted(&zs, &w, w0).unwrap();
        results.push((gate, f.state(), f.covariance()));
    }
    let (g0, x0, p0) = results[0];
    for (k, (g, xs, ps)) in results.iter().enumerate().skip(1) {
        assert!((g.zhat - g0.zhat).amax() < 1e-9, "filter {k}");
        assert!((g.covariance - g0.covariance).amax() < 1e-9, "filter {k}");
        assert!((xs - x0).amax() < 1e-9, "filter {k}: {xs:?} vs {x0:?}");
        assert!((ps - p0).amax() < 1e-9, "filter {k}");
    }
}

#[test]
fn imm_weighted_update_keeps_modes_apart() {
    // A quiet and an agile mode; a far-off candidate favours the agile one under PDA too.
    let gps = PositionMeasurement::<4>::new(ConstantVelocity::POSITION, 0.5).unwrap();
    let kf = KalmanFilter::new(Vector4::zeros(), Matrix4::identity()).unwrap();
    let mode = |q: f64| {
        embed(
            Mode::new(kf.clone(), ConstantVelocity::new(q).unwrap(), gps),
            Embedding::<4, 4>::identity().unwrap(),
        )
    };
    let t = DMatrix::from_row_slice(2, 2, &[0.95, 0.05, 0.05, 0.95]);
    let mut imm = ImmEstimator::<4, 2>::new(vec![mode(0.01), mode(10.0)], &t, &[0.5, 0.5]).unwrap();
    imm.predict(1.0).unwrap();
    let cbar = imm.mode_probabilities().to_vec();
    let z = [Vector2::new(4.0, 4.0), Vector2::new(0.2, -0.1)];
    let (w, w0) = ([0.5, 0.3], 0.2);
    imm.update_weighted(&z, &w, w0).unwrap();
    // mode posterior: mu_j = cbar_j (w0 + sum_i w_i N_ij / sum_k cbar_k N_ik), from the modes'
    // own likelihoods computed here with fresh Kalman filters
    let lik = |q: f64, zi: &Vector2<f64>| {
        let mut f = kf.clone();
        f.predict(&ConstantVelocity::new(q).unwrap(), 1.0).unwrap();
        f.innovation(&gps, zi).unwrap().log_likelihood.exp()
    };
    let qs = [0.01, 10.0];
    let mut mu = [0.0; 2];
    for j in 0..2 {
        mu[j] = cbar[j] * w0;
        for (zi, wi) in z.iter().zip(w) {
            let nbar: f64 = (0..2).map(|k| cbar[k] * lik(qs[k], zi)).sum();
            mu[j] += wi * cbar[j] * lik(qs[j], zi) / nbar;
        }
    }
    for (got, want) in imm.mode_probabilities().iter().zip(mu) {
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
    assert!(imm.mode_probabilities()[1] > cbar[1]);
    // wrong lengths and bad weights are rejected
    assert!(imm.update_weighted(&z, &[1.0], 0.0).is_err());
    assert!(imm.update_weighted(&z, &[0.0, 0.0], 0.0).is_err());
}

#[test]
fn unscented_track_hard_and_weighted_updates_agree_with_one_candidate() {
    let radar =
        RangeBearing::<5>::new(CoordinatedTurn::POSITION, Vector2::zeros(), 1.0, 0.02).unwrap();
    let ct = CoordinatedTurn::new(0.5, 1e-3).unwrap();
    let x = SVector::<f64, 5>::from([-200.0, 5.0, 1.0, -3.0, 0.02]);
    let p = SMatrix::<f64, 5, 5>::identity() * 4.0;
    let make = || {
        let points = SigmaPoints::merwe(0.5, 2.0, -2.0).unwrap();
        kestrel::tracking::UnscentedTrack::new(
            UnscentedKalmanFilter::new(x, p, points).unwrap(),
            ct,
            radar,
        )
    };
    let (mut a, mut b) = (make(), make());
    a.predict(1.0).unwrap();
    b.predict(1.0).unwrap();
    let gate = a.measurement_prediction().unwrap();
    // a bearing across the -x axis: the residual wraps
    assert!(gate.zhat[1].abs() > 3.0);
    let z = Vector2::new(195.0, -3.13);
    let innovation = a.update(&z).unwrap();
    assert!((innovation.covariance - gate.covariance).amax() < 1e-9);
    b.update_weighted(&[z, Vector2::new(10.0, 0.0)], &[1.0, 0.0], 0.0)
        .unwrap();
    assert!((TrackFilter::<5, 2>::state(&a) - TrackFilter::<5, 2>::state(&b)).amax() < 1e-9);
    assert!(
        (TrackFilter::<5, 2>::covariance(&a) - TrackFilter::<5, 2>::covariance(&b)).amax() < 1e-9
    );
}
