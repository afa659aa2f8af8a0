//! Linear assignment against SciPy's `linear_sum_assignment` (fixtures from
//! tools/reference/scipy_assignment.py): identical row/column indices, ties included.

use kestrel::tracking::{LinearAssignment, TrackingError};
use serde_json::Value;

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tracking/scipy_assignment.json"
    ))
    .expect("fixture present");
    serde_json::from_str(&text).expect("valid json")
}

fn costs(case: &Value) -> Vec<f64> {
    case["costs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap_or(f64::INFINITY))
        .collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

#[test]
fn matches_scipy_including_ties() {
    let fx = fixture();
    let cases = fx["cases"].as_array().unwrap();
    assert!(cases.len() > 150);
    let mut solver = LinearAssignment::new();
    let (mut ties, mut infeasible) = (0, 0);
    for case in cases.iter().filter(|c| c.get("base_ncols").is_none()) {
        let name = case["name"].as_str().unwrap();
        let (n, m) = (
            case["nrows"].as_u64().unwrap() as usize,
            case["ncols"].as_u64().unwrap() as usize,
        );
        let c = costs(case);
        let result = solver.solve(&c, n, m);
        if case["infeasible"].as_bool().unwrap() {
            assert_eq!(result.unwrap_err(), TrackingError::Infeasible, "{name}");
            infeasible += 1;
            continue;
        }
        let a = result.unwrap_or_else(|e| panic!("{name}: {e}"));
        let rows: Vec<usize> = a.pairs.iter().map(|p| p.0).collect();
        let cols: Vec<usize> = a.pairs.iter().map(|p| p.1).collect();
        assert_eq!(rows, usizes(&case["rows"]), "{name}: rows");
        assert_eq!(cols, usizes(&case["cols"]), "{name}: cols");
        let expected = case["cost"].as_f64().unwrap();
        assert!(
            (a.cost - expected).abs() <= 1e-9 * expected.abs().max(1.0),
            "{name}: cost {} vs {expected}",
            a.cost
        );
        if name.starts_with("ties") || name.starts_with("constant") {
            ties += 1;
        }
    }
    assert!(
        ties >= 70 && infeasible >= 5,
        "ties {ties}, infeasible {infeasible}"
    );
}

#[test]
fn unassigned_formulation_matches_scipy_on_extended_matrix() {
    let fx = fixture();
    let mut solver = LinearAssignment::new();
    let mut count = 0;
    for case in fx["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c.get("base_ncols").is_some())
    {
        let name = case["name"].as_str().unwrap();
        let n = case["nrows"].as_u64().unwrap() as usize;
        let m = case["base_ncols"].as_u64().unwrap() as usize;
        let ext = costs(case);
        let width = m + n;
        let base: Vec<f64> = (0..n)
            .flat_map(|i| ext[i * width..i * width + m].to_vec())
            .collect();
        let a: Vec<f64> = case["row_unassigned"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let s = solver
            .solve_with_unassigned(&base, n, m, &a, &vec![0.0; m])
            .unwrap();
        let expected: Vec<Option<usize>> = usizes(&case["cols"])
            .into_iter()
            .map(|j| (j < m).then_some(j))
            .collect();
        assert_eq!(s.row_to_col, expected.as_slice(), "{name}");
        let cost = case["cost"].as_f64().unwrap();
        assert!((s.cost - cost).abs() <= 1e-9 * cost.max(1.0), "{name}");
        // column view consistent with the row view
        for (j, r) in s.col_to_row.iter().enumerate() {
            if let Some(i) = r {
                assert_eq!(s.row_to_col[*i], Some(j));
            }
        }
        count += 1;
    }
    assert_eq!(count, 21);
}

#[test]
fn nan_costs_are_rejected_with_their_position() {
    let mut solver = LinearAssignment::new();
    let mut c = vec![1.0; 12];
    c[7] = f64::NAN;
    assert_eq!(
        solver.solve(&c, 3, 4).unwrap_err(),
        TrackingError::NonFinite {
            what: "cost",
            index: 7
        }
    );
    assert!(matches!(
        solver.solve_with_unassigned(&[1.0], 1, 1, &[f64::NAN], &[0.0]),
        Err(TrackingError::NonFinite { .. })
    ));
    // the solver is still usable after an error
    let a = solver.solve(&[2.0, 1.0, 1.0, 2.0], 2, 2).unwrap();
    assert_eq!(a.pairs, &[(0, 1), (1, 0)]);
}
