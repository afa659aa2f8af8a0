//! Murty's k-best assignments against brute-force enumeration of every assignment, sorted by
//! cost, on small random matrices (complete and with "unassigned" costs, forbidden pairs, ties).

use kestrel::tracking::{KBestAssignments, RankedAssignment};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Every injective partial map rows -> columns, with its cost. `complete` keeps only maps that
/// assign min(n, m) pairs; otherwise unassigned rows / columns pay `a` / `b`.
fn brute_force(
    c: &[f64],
    n: usize,
    m: usize,
    unassigned: Option<(&[f64], &[f64])>,
) -> Vec<(f64, Vec<Option<usize>>)> {
    struct Search<'a> {
        c: &'a [f64],
        n: usize,
        m: usize,
        unassigned: Option<(&'a [f64], &'a [f64])>,
        map: Vec<Option<usize>>,
        used: Vec<bool>,
        out: Vec<(f64, Vec<Option<usize>>)>,
    }
    impl Search<'_> {
        fn rec(&mut self, i: usize) {
            let (n, m) = (self.n, self.m);
            if i == n {
                let assigned = self.map.iter().filter(|x| x.is_some()).count();
                let mut cost = 0.0;
                for (r, col) in self.map.iter().enumerate() {
                    match col {
                        Some(j) => cost += self.c[r * m + j],
                        None => {
                            if let Some((a, _)) = self.unassigned {
                                cost += a[r]
                            }
                        }
                    }
                }
                match self.unassigned {
                    Some((_, b)) => {
                        cost += (0..m).filter(|&j| !self.used[j]).map(|j| b[j]).sum::<f64>()
                    }
                    None if assigned != n.min(m) => return,
                    None => {}
                }
                if cost.is_finite() {
                    self.out.push((cost, self.map.clone()));
                }
                return;
            }
            self.map[i] = None;
            self.rec(i + 1);
            for j in 0..m {
                if !self.used[j] && self.c[i * m + j].is_finite() {
                    self.used[j] = true;
                    self.map[i] = Some(j);
                    self.rec(i + 1);
                    self.used[j] = false;
                    self.map[i] = None;
                }
            }
        }
    }
    let mut s = Search {
        c,
        n,
        m,
        unassigned,
        map: vec![None; n],
        used: vec![false; m],
        out: Vec::new(),
    };
    s.rec(0);
    let mut out = s.out;
    out.sort_by(|x, y| x.0.total_cmp(&y.0));
    out
}

fn check(got: &[RankedAssignment], brute: &[(f64, Vec<Option<usize>>)], k: usize, label: &str) {
    assert_eq!(got.len(), k.min(brute.len()), "{label}: count");
    for (t, g) in got.iter().enumerate() {
        let (bc, bmap) = &brute[t];
        assert!(
            (g.cost - bc).abs() <= 1e-9,
            "{label}: rank {t}: {} vs {bc}",
            g.cost
        );
        // the solution itself when its cost is not tied with a neighbour
        let unique = (t == 0 || (brute[t - 1].0 - bc).abs() > 1e-9)
            && (t + 1 >= brute.len() || (brute[t + 1].0 - bc).abs() > 1e-9);
        if unique {
            assert_eq!(&g.row_to_col, bmap, "{label}: rank {t}");
        }
        // distinct solutions
        for h in &got[..t] {
            assert_ne!(h.row_to_col, g.row_to_col, "{label}: duplicate at rank {t}");
        }
    }
}

#[test]
fn complete_assignments_match_brute_force() {
    let mut rng = StdRng::seed_from_u64(7);
    let mut murty = KBestAssignments::new();
    for trial in 0..60 {
        let n = rng.random_range(1..=4);
        let m = rng.random_range(1..=5);
        let ties = trial % 3 == 0;
        let c: Vec<f64> = (0..n * m)
            .map(|_| {
                if rng.random_bool(0.15) {
                    f64::INFINITY
                } else if ties {
                    rng.random_range(0..3) as f64
                } else {
                    rng.random_range(-5.0..20.0)
                }
            })
            .collect();
        let brute = brute_force(&c, n, m, None);
        let k = rng.random_range(1..=brute.len().max(1) + 3);
        let got = murty.solve(&c, n, m, k).unwrap();
        check(&got, &brute, k, &format!("trial {trial} {n}x{m}"));
    }
}

#[test]
fn assignments_with_unassigned_costs_match_brute_force() {
    let mut rng = StdRng::seed_from_u64(11);
    let mut murty = KBestAssignments::new();
    let mut total = 0;
    for trial in 0..50 {
        let n = rng.random_range(0..=4);
        let m = rng.random_range(0..=4);
        let ties = trial % 4 == 0;
        let c: Vec<f64> = (0..n * m)
            .map(|_| {
                if rng.random_bool(0.2) {
                    f64::INFINITY
                } else if ties {
                    rng.random_range(0..3) as f64
                } else {
                    rng.random_range(0.0..10.0)
                }
            })
            .collect();
        let a: Vec<f64> = (0..n)
            .map(|_| {
                if ties {
                    1.0
                } else {
                    rng.random_range(2.0..6.0)
                }
            })
            .collect();
        let b: Vec<f64> = (0..m)
            .map(|_| {
                if ties {
                    1.0
                } else {
                    rng.random_range(0.0..3.0)
                }
            })
            .collect();
        let brute = brute_force(&c, n, m, Some((&a, &b)));
        let k = if trial % 5 == 0 {
            usize::MAX
        } else {
            rng.random_range(1..=12)
        };
        let got = murty.solve_with_unassigned(&c, n, m, &a, &b, k).unwrap();
        check(&got, &brute, k, &format!("trial {trial} {n}x{m}"));
        total += got.len();
    }
    assert!(total > 150, "{total}");
}

#[test]
fn a_tall_matrix_ranks_column_assignments() {
    // 3 rows, 2 columns: the 6 ways to give each column a distinct row
    let c = [1.0, 10.0, 2.0, 20.0, 3.0, 30.0];
    let brute = brute_force(&c, 3, 2, None);
    assert_eq!(brute.len(), 6);
    let got = KBestAssignments::new().solve(&c, 3, 2, 10).unwrap();
    let costs: Vec<f64> = got.iter().map(|g| g.cost).collect();
    // closed form: column 0 takes row a, column 1 row b != a: cost c[a][0] + c[b][1]
    // (1,0)=12, (2,0)=13, (0,1)=21, (2,1)=23, (0,2)=31, (1,2)=32
    assert_eq!(costs, vec![12.0, 13.0, 21.0, 23.0, 31.0, 32.0]);
    assert_eq!(got[0].row_to_col, vec![Some(1), Some(0), None]);
    assert_eq!(got[5].row_to_col, vec![None, Some(0), Some(1)]);
}

#[test]
fn infeasible_and_degenerate_inputs() {
    let inf = f64::INFINITY;
    let mut murty = KBestAssignments::new();
    assert!(murty.solve(&[inf, inf], 1, 2, 3).unwrap().is_empty());
    assert!(murty.solve(&[1.0], 1, 1, 0).unwrap().is_empty());
    assert!(murty.solve(&[f64::NAN], 1, 1, 1).is_err());
    let e = murty.solve(&[], 0, 3, 2).unwrap();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].cost, 0.0);
    // everything forbidden: the only hypothesis is "all unassigned"
    let h = murty
        .solve_with_unassigned(&[inf, inf, inf, inf], 2, 2, &[1.0, 2.0], &[3.0, 4.0], 5)
        .unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].row_to_col, vec![None, None]);
    assert_eq!(h[0].cost, 10.0);
}
