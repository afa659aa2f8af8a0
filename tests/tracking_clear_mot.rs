//! CLEAR MOT and identity metrics against py-motmetrics 1.4.0 (fixtures from
//! tools/reference/motmetrics_clear_mot.py): per-scan events and the run summary.

use kestrel::tracking::metrics::ClearMot;
use kestrel::tracking::TrackingError;
use nalgebra::Vector2;
use serde_json::Value;

fn pts(v: &Value) -> Vec<Vector2<f64>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| Vector2::new(p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect()
}

fn ids(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

#[test]
fn matches_py_motmetrics() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tracking/motmetrics_clear_mot.json"
    ))
    .unwrap();
    let fx: Value = serde_json::from_str(&text).unwrap();
    for run in fx["runs"].as_array().unwrap() {
        let name = run["name"].as_str().unwrap();
        let mut mot = ClearMot::new(run["threshold"].as_f64().unwrap()).unwrap();
        let frames = run["frames"].as_array().unwrap();
        let expected = run["per_frame"].as_array().unwrap();
        for (k, (f, e)) in frames.iter().zip(expected).enumerate() {
            let s = mot
                .update(
                    &ids(&f["truth_ids"]),
                    &pts(&f["truth"]),
                    &ids(&f["hyp_ids"]),
                    &pts(&f["hyps"]),
                )
                .unwrap();
            let got = [s.matches, s.switches, s.misses, s.false_positives];
            let want = ["matches", "switches", "misses", "false_positives"]
                .map(|key| e[key].as_u64().unwrap() as usize);
            assert_eq!(got, want, "{name} frame {k}");
            let d = e["distance_sum"].as_f64().unwrap();
            assert!((s.distance_sum - d).abs() < 1e-9, "{name} frame {k}");
        }
        let sum = mot.summary();
        let w = &run["summary"];
        let count = |key: &str| w[key].as_f64().unwrap() as usize;
        assert_eq!(sum.n_frames, count("num_frames"), "{name}");
        assert_eq!(sum.matches, count("num_matches"), "{name}");
        assert_eq!(sum.switches, count("num_switches"), "{name}");
        assert_eq!(sum.false_positives, count("num_false_positives"), "{name}");
        assert_eq!(sum.misses, count("num_misses"), "{name}");
        assert_eq!(sum.n_truth, count("num_objects"), "{name}");
        assert_eq!(sum.n_hypotheses, count("num_predictions"), "{name}");
        assert_eq!(sum.fragmentations, count("num_fragmentations"), "{name}");
        assert_eq!(
            (sum.idtp, sum.idfp, sum.idfn),
            (count("idtp"), count("idfp"), count("idfn")),
            "{name}"
        );
        assert_eq!(
            (sum.mostly_tracked, sum.partially_tracked, sum.mostly_lost),
            (
                count("mostly_tracked"),
                count("partially_tracked"),
                count("mostly_lost")
            ),
            "{name}"
        );
        for (key, got) in [
            ("mota", sum.mota),
            ("motp", sum.motp),
            ("idf1", sum.idf1),
            ("idp", sum.idp),
            ("idr", sum.idr),
        ] {
            let want = w[key].as_f64().unwrap();
            assert!(
                (got.unwrap() - want).abs() < 1e-12,
                "{name} {key}: {got:?} vs {want}"
            );
        }
        assert!(
            sum.switches > 5 && sum.fragmentations > 5,
            "{name}: the fixture exercises switches and breaks"
        );
    }
}

#[test]
fn hand_worked_track_break_and_reacquisition() {
    // one object, one track: tracked, lost for two scans (miss + far false positive), tracked
    // again under the same identity: one fragmentation, no switch
    let mut mot = ClearMot::new(2.0).unwrap();
    let truth = [Vector2::new(0.0, 0.0)];
    let near = [Vector2::new(1.0, 0.0)];
    let far = [Vector2::new(9.0, 0.0)];
    let s0 = mot.update(&[1], &truth, &[5], &near).unwrap();
    let s1 = mot
        .update(&[1], &truth, &[], &[] as &[Vector2<f64>])
        .unwrap();
    let s2 = mot.update(&[1], &truth, &[5], &far).unwrap();
    let s3 = mot.update(&[1], &truth, &[5], &near).unwrap();
    assert_eq!(
        (s0.matches, s1.misses, s2.misses, s2.false_positives),
        (1, 1, 1, 1)
    );
    assert_eq!((s3.matches, s3.switches, s3.fragmentations), (1, 0, 1));
    assert_eq!(s1.mota(), Some(0.0));
    assert_eq!(s2.mota(), Some(-1.0));
    let sum = mot.summary();
    // MOTA = 1 - (2 FN + 1 FP + 0) / 4; MOTP = 1; IDTP = 2 (scans 0 and 3), IDF1 = 4 / 7
    assert_eq!(sum.mota, Some(0.25));
    assert_eq!(sum.motp, Some(1.0));
    assert_eq!((sum.idtp, sum.idf1), (2, Some(4.0 / 7.0)));
    assert_eq!((sum.fragmentations, sum.partially_tracked), (1, 1));
}

#[test]
fn empty_scans_and_bad_input() {
    let mut mot = ClearMot::new(1.0).unwrap();
    let none: [Vector2<f64>; 0] = [];
    let s = mot.update(&[], &none, &[], &none).unwrap();
    assert_eq!((s.mota(), s.motp()), (None, None));
    let sum = mot.summary();
    assert_eq!((sum.n_frames, sum.mota, sum.idf1), (1, None, None));
    let one = [Vector2::new(0.0, 0.0)];
    assert!(matches!(
        mot.update(&[1, 2], &one, &[], &none),
        Err(TrackingError::DimensionMismatch { .. })
    ));
    assert!(matches!(
        mot.update(&[1, 1], &[one[0], one[0]], &[], &none),
        Err(TrackingError::InvalidParameter { .. })
    ));
    assert_eq!(
        mot.update(&[1], &one, &[3], &[Vector2::new(f64::NAN, 0.0)])
            .unwrap_err(),
        TrackingError::NonFinite {
            what: "hypothesis",
            index: 0
        }
    );
    assert!(ClearMot::new(0.0).is_err() && ClearMot::new(f64::INFINITY).is_err());
    // a rejected scan changes nothing
    assert_eq!(mot.summary().n_frames, 1);
}
