//! Tracking scenarios (scenarios/tracking/): each file loads, runs headless with its seed and
//! shows what issue 4 promises; bad files are rejected naming the field and the line.
//!
//! - crossing: GNN and JPDA both track the two crossing targets (each confirmed, held at the
//!   end, matched in more than half of the target-scans, mean GOSPA well below the 10 of two
//!   missed targets), JPDA without an identity switch. (The file's seed is one of the slower
//!   starts: over 50 runs the mean confirmation latency is 4.1 scans for GNN and 4.0 for JPDA,
//!   8 and 7.5 with seed 1.)
//! - closely_spaced: over the Monte Carlo batch of the file's comment (`--runs 50`, seeds derived
//!   from the file's), JPDA has fewer track breaks, less than half GNN's identity switches and a
//!   mean GOSPA at least 10 % lower.
//! - maneuvering: the IMM's mean GOSPA and position RMSE are at least 10 % below both
//!   single-model (CV EKF, quiet and agile) trackers'.
//! - birth_death: the 2-of-3 history logic with two-point initiation confirms a target 2 scans
//!   after its first scan at the earliest (two detections start the track, the next confirms it)
//!   and within 3 (one miss allowed); its 6-of-6 deletion deletes a dead target's track 6 scans
//!   after the target's last scan (median; one scan less if the target was missed in its last
//!   scan). Every logic confirms every target.
//! - extended_objects: the tracks' boxes have the true sizes within, per class: car length
//!   0.3 m and width 0.6 m (the principal-axis box of an L-shaped cloud of top and near-side
//!   returns turns by ~7 deg and widens), bicycle length and width 0.2 m, pedestrian 0.2 m;
//!   every object is confirmed and there are no false tracks.
//! - scaling: of the 900 targets, none is never confirmed, at least 97 % are confirmed on average
//!   and at least 890 mostly tracked, with fewer than 100 false tracks over the run.

use kestrel_sims::monte_carlo::run_batch;
use kestrel_sims::report::Report;
use kestrel_sims::runner::{self, RunContext};
use std::path::{Path, PathBuf};

fn scenario(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("scenarios")
        .join(rel)
}

fn run_file(path: &Path) -> Report {
    let loaded = runner::load(path).unwrap_or_else(|e| panic!("{e}"));
    loaded
        .scenario
        .run(&RunContext::headless(loaded.header.seed))
        .unwrap_or_else(|e| panic!("{e:#}"))
}

fn metric(report: &Report, alg: &str, name: &str) -> f64 {
    report
        .get(alg, name)
        .unwrap_or_else(|| panic!("metric {alg}/{name} missing from {:?}", report.metrics))
}

#[test]
fn crossing_both_targets_tracked() {
    let r = run_file(&scenario("tracking/crossing.toml"));
    for alg in ["gnn", "jpda"] {
        let m = |n: &str| metric(&r, alg, n);
        assert_eq!(m("targets_never_confirmed"), 0.0, "{alg}");
        // of the 2 x 25 target-scans, the start (initiation in clutter) costs the most
        assert!(m("missed_target_scans") < 25.0, "{alg}");
        assert_eq!(m("targets_lost_at_end"), 0.0, "{alg}");
        assert!(m("gospa_mean") < 7.0, "{alg} GOSPA {}", m("gospa_mean"));
        assert!(
            m("rmse_position_m") < 1.5,
            "{alg} RMSE {}",
            m("rmse_position_m")
        );
    }
    assert_eq!(metric(&r, "jpda", "identity_switches"), 0.0);
}

#[test]
fn closely_spaced_jpda_beats_gnn_over_the_batch() {
    let loaded = runner::load(&scenario("tracking/closely_spaced.toml")).unwrap();
    let batch = run_batch(
        loaded.scenario.as_ref(),
        loaded.header.seed,
        50,
        rerun::RecordingStream::disabled(),
        false,
    )
    .unwrap();
    let mean = |alg: &str, n: &str| batch.summary[alg][n].mean;
    let (gnn_gospa, jpda_gospa) = (mean("gnn", "gospa_mean"), mean("jpda", "gospa_mean"));
    let (gnn_swaps, jpda_swaps) = (
        mean("gnn", "identity_switches"),
        mean("jpda", "identity_switches"),
    );
    let (gnn_breaks, jpda_breaks) = (mean("gnn", "track_breaks"), mean("jpda", "track_breaks"));
    let figures = format!(
        "GOSPA {gnn_gospa:.3} vs {jpda_gospa:.3}, swaps {gnn_swaps:.2} vs {jpda_swaps:.2}, \
         breaks {gnn_breaks:.2} vs {jpda_breaks:.2} (GNN vs JPDA)"
    );
    println!("closely_spaced, 50 runs: {figures}");
    assert!(jpda_gospa < 0.9 * gnn_gospa, "{figures}");
    assert!(jpda_swaps < 0.5 * gnn_swaps, "{figures}");
    assert!(jpda_breaks < gnn_breaks, "{figures}");
    // run 0 of the batch is the file's own seed
    assert_eq!(batch.seeds[0], loaded.header.seed);
}

#[test]
fn maneuvering_imm_beats_single_model_tracks() {
    let r = run_file(&scenario("tracking/maneuvering.toml"));
    for name in ["gospa_mean", "rmse_position_m"] {
        let imm = metric(&r, "imm", name);
        for cv in ["cv_quiet", "cv_agile"] {
            let other = metric(&r, cv, name);
            assert!(imm < 0.9 * other, "{name}: imm {imm} vs {cv} {other}");
        }
    }
    assert_eq!(metric(&r, "imm", "targets_never_confirmed"), 0.0);
}

#[test]
fn birth_death_latencies_follow_the_track_logic() {
    let r = run_file(&scenario("tracking/birth_death.toml"));
    let h = |n: &str| metric(&r, "history", n);
    assert!(h("confirmation_latency_min_scans") >= 2.0);
    assert!(h("confirmation_latency_max_scans") <= 3.0);
    assert_eq!(h("deletion_latency_median_scans"), 6.0);
    assert!(h("deletion_latency_min_scans") >= 5.0);
    for alg in ["history", "score", "existence"] {
        assert_eq!(metric(&r, alg, "targets_never_confirmed"), 0.0, "{alg}");
        assert_eq!(metric(&r, alg, "targets_lost_at_end"), 0.0, "{alg}");
    }
}

#[test]
fn extended_objects_extents_close_to_the_true_boxes() {
    let r = run_file(&scenario("tracking/extended_objects.toml"));
    // (class, length tolerance, width tolerance), m
    let tolerances = [
        ("car", 0.3, 0.6),
        ("bicycle", 0.2, 0.2),
        ("pedestrian", 0.2, 0.2),
    ];
    for alg in ["gnn", "jpda"] {
        let m = |n: &str| metric(&r, alg, n);
        for (class, tl, tw) in tolerances {
            let (l, w) = (
                m(&format!("{class}_length_error_m")),
                m(&format!("{class}_width_error_m")),
            );
            assert!(l < tl && w < tw, "{alg} {class}: length {l}, width {w}");
            assert!(
                m(&format!("{class}_extent_samples")) >= 200.0,
                "{alg} {class}"
            );
        }
        assert_eq!(m("targets_never_confirmed"), 0.0, "{alg}");
        assert_eq!(m("false_tracks"), 0.0, "{alg}");
        assert!(m("motp_m") < 1.0, "{alg}");
    }
}

#[test]
fn scaling_confirms_nearly_all_900_targets() {
    let r = run_file(&scenario("tracking/scaling.toml"));
    let m = |n: &str| metric(&r, "gnn", n);
    assert_eq!(metric(&r, "world", "targets"), 900.0);
    assert_eq!(m("targets_never_confirmed"), 0.0);
    assert!(
        m("confirmed_tracks_mean") >= 0.97 * 900.0,
        "{}",
        m("confirmed_tracks_mean")
    );
    assert!(m("mostly_tracked") >= 890.0, "{}", m("mostly_tracked"));
    assert!(m("false_tracks") < 100.0, "{}", m("false_tracks"));
}

/// Writes `text` to a fresh file in the temp directory and returns the load error.
fn load_error(name: &str, text: &str) -> String {
    let dir =
        std::env::temp_dir().join(format!("kestrel-scenarios-tracking-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    match runner::load(&path) {
        Ok(_) => panic!("{name} loaded but should not have"),
        Err(e) => e.to_string(),
    }
}

/// The 1-based line of the `n`-th (0-based) line of `text` containing `needle`.
fn nth_line_of(text: &str, needle: &str, n: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .nth(n)
        .unwrap_or_else(|| panic!("no line {n} with {needle:?}"))
        .0
        + 1
}

fn assert_names(msg: &str, file: &str, line: usize, field: &str) {
    assert!(
        msg.contains(&format!("{file}:{line}:")) && msg.contains(&format!("`{field}`")),
        "expected {file}:{line} and `{field}` in: {msg}"
    );
}

#[test]
fn bad_files_name_the_field_and_line() {
    let crossing = std::fs::read_to_string(scenario("tracking/crossing.toml")).unwrap();
    // an unknown role name
    let text = crossing.replace("associator = \"jpda\"", "associator = \"jpdaa\"");
    let msg = load_error("role.toml", &text);
    let line = nth_line_of(&text, "associator = \"jpdaa\"", 0);
    assert_names(&msg, "role.toml", line, "trackers.1.associator");
    assert!(msg.contains("gnn") && msg.contains("jpda"), "{msg}");
    // an unknown filter on the first tracker
    let text = crossing.replacen("filter = \"kf\"", "filter = \"particle\"", 1);
    let msg = load_error("filter.toml", &text);
    let line = nth_line_of(&text, "filter = \"particle\"", 0);
    assert_names(&msg, "filter.toml", line, "trackers.0.filter");
    // a role table the tracker does not use (GNN given JPDA's parameters)
    let text = crossing.replacen(
        "gnn = { cost = \"mahalanobis\", missed_cost = 3.0 }",
        "jpda = { k_best = 10 }",
        1,
    );
    let msg = load_error("unused.toml", &text);
    let line = nth_line_of(&text, "jpda = { k_best = 10 }", 0);
    assert_names(&msg, "unused.toml", line, "trackers.0.jpda");
    // the linear Kalman filter with a range-bearing sensor
    let man = std::fs::read_to_string(scenario("tracking/maneuvering.toml")).unwrap();
    let text = man.replacen("filter = \"ekf\"", "filter = \"kf\"", 2);
    let msg = load_error("kf.toml", &text);
    let line = nth_line_of(&text, "filter = \"kf\"", 0);
    assert_names(&msg, "kf.toml", line, "trackers.0.filter");
    // extended objects: an unknown class and a bad DBSCAN radius
    let ext = std::fs::read_to_string(scenario("tracking/extended_objects.toml")).unwrap();
    let text = ext.replacen("class = \"bicycle\"", "class = \"tricycle\"", 1);
    let msg = load_error("class.toml", &text);
    let line = nth_line_of(&text, "class = \"tricycle\"", 0);
    assert_names(&msg, "class.toml", line, "world.objects.3.class");
    let text = ext.replace("eps_m = 1.0", "eps_m = -1.0");
    let msg = load_error("eps.toml", &text);
    let line = nth_line_of(&text, "eps_m = -1.0", 0);
    assert_names(&msg, "eps.toml", line, "clustering.eps_m");
}

/// The helpers of the extended-object scoring and of the parse errors, on hand-made inputs.
mod helpers {
    use kestrel::tracking::{wrap_half, Extent};
    use kestrel_sims::report::Report;
    use kestrel_sims::runner::tracking_extent_score::{cluster_owners, greedy_match, ExtentErrors};
    use kestrel_sims::runner::tracking_roles::key_on_line;
    use kestrel_sims::worlds::lidar_objects::{ObjectBox, ObjectClass};
    use nalgebra::Vector2;

    #[test]
    fn extent_errors_of_a_known_box() {
        let truth = ObjectBox {
            id: 0,
            center: Vector2::zeros(),
            heading: 0.1,
            size: [4.0, 2.0, 1.5],
        };
        let mut e = ExtentErrors::default();
        e.begin_scan();
        // 3.6 x 2.2, turned 0.1 + pi (the same orientation) + 0.05
        let est = Extent {
            half_extents: Vector2::new(1.8, 1.1),
            angle: wrap_half(0.15 + std::f64::consts::PI),
        };
        e.add(ObjectClass::Car, &truth, &est);
        let (l, w) = e.scan_mean().unwrap();
        assert!((l - 0.4).abs() < 1e-12 && (w - 0.2).abs() < 1e-12);
        let mut r = Report::default();
        e.finish(&mut r, "t");
        assert!((r.get("t", "car_length_bias_m").unwrap() + 0.4).abs() < 1e-12);
        assert!((r.get("t", "car_width_bias_m").unwrap() - 0.2).abs() < 1e-12);
        let angle = r.get("t", "car_orientation_error_deg").unwrap();
        assert!((angle - 0.05f64.to_degrees()).abs() < 1e-9, "{angle}");
    }

    #[test]
    fn greedy_matching_takes_the_closest_pairs_first() {
        let est = [Vector2::new(0.0, 0.0), Vector2::new(1.0, 0.0)];
        let obj = [Vector2::new(0.9, 0.0), Vector2::new(5.0, 0.0)];
        // estimate 1 is closest to object 0; estimate 0 is then left without an object within 2
        assert_eq!(greedy_match(&est, &obj, 2.0), vec![(1, 0)]);
    }

    #[test]
    fn clusters_belong_to_their_majority_origin() {
        let labels = [Some(0), Some(0), Some(0), Some(1), Some(1), None];
        let origins = [Some(4), Some(4), None, None, Some(2), Some(2)];
        // cluster 1 is a tie between clutter and object 2: the object wins
        assert_eq!(cluster_owners(&labels, &origins, 2), vec![Some(4), Some(2)]);
    }

    #[test]
    fn keys_of_lines_in_tables_and_arrays() {
        let text = "[scenario]\nkind = \"x\"\n[[trackers]]\nname = \"a\"\n[[trackers]]\nassociator = \"jpdaa\"\n[world]\n# c = 1\n";
        assert_eq!(key_on_line(text, 2).as_deref(), Some("scenario.kind"));
        assert_eq!(
            key_on_line(text, 6).as_deref(),
            Some("trackers.1.associator")
        );
        assert_eq!(key_on_line(text, 7), None);
        assert_eq!(key_on_line(text, 8), None);
    }
}
