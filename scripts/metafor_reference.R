# Reference results from R metafor for glutedata.meta.random_effects.
#
#   Rscript scripts/metafor_reference.R > tests/fixtures/metafor_reference.json
#
# Each group is fitted with tau^2 by REML, Paule-Mandel and DerSimonian-Laird. Recorded per method:
#   estimate, se        rma(test = "z"): the standard random-effects SE
#   ci_lb, ci_ub, se_hksj  rma(test = "adhoc"): Hartung-Knapp-Sidik-Jonkman, SE never below the standard one
#   wald_ci_lb, wald_ci_ub rma(test = "z")
#   tau2, tau2_ci_lb, tau2_ci_ub  confint(): Q-profile, searched up to tau2.max = 1e7 instead of the
#                                 default max(100, 10 * tau2), which would cap %MVIC-sized upper bounds
#   I2 (a fraction), H2, Q, Q_p (Cochran's Q with fixed-effect weights)
#   pi_lb, pi_ub        predict(rma(test = "z"), pi.type = "riley"): estimate +- t(k-2) sqrt(tau2 + se^2),
#                       checked below against that formula; null for k < 3
# The convergence controls are tightened (metafor's defaults stop within ~1e-5 of tau^2) so that the
# fixture is the exact solution the Python code is compared with.

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})

groups <- list(
  list(name = "k2", description = "k = 2, heterogeneous",
       yi = c(50, 65), vi = c(4, 9)),
  list(name = "k3_heterogeneous", description = "k = 3 (the hand-computed DerSimonian-Laird example in test_pooling.py)",
       yi = c(50, 60, 55), vi = c(10, 15, 12.5)^2 / 25),
  list(name = "k6_tau2_zero", description = "k = 6, Q below k - 1: tau^2 = 0, Q-profile upper bound positive",
       yi = c(50, 53, 48, 51.5, 49, 52), vi = c(4, 6, 5, 9, 7, 8)),
  list(name = "k5_homogeneous", description = "k = 5, Q below the 2.5% chi^2 quantile: Q-profile CI is {0}",
       yi = c(50, 50.2, 49.9, 50.1, 50), vi = c(4, 6, 5, 9, 7)),
  list(name = "unequal_se", description = "k = 4, within-study variances spanning 400-fold",
       yi = c(30, 45, 60, 52), vi = c(0.5, 40, 200, 5)),
  list(name = "large_tau2", description = "k = 4, tau^2 in the thousands: the Q-profile upper bound is far above 100",
       yi = c(20, 90, 50, 130), vi = c(10, 20, 15, 30)),
  list(name = "k8_moderate", description = "k = 8, moderate heterogeneity",
       yi = c(42, 55, 48, 61, 39, 50, 58, 45), vi = c(12, 20, 9, 30, 15, 11, 25, 18)),
  list(name = "reml_above_q_profile", description = "k = 9: the REML tau^2 lies above its Q-profile upper bound",
       yi = c(4.29, 6.36, 7.82, 4.37, 1.14, 4.67, 2.61, 2.27, 6.02),
       vi = c(39.32, 23.0, 429.31, 482.26, 42.14, 331.62, 0.06, 284.66, 2.47)),
  # data/emg_activation.csv at commit 52aee38, gluteus_medius, segment whole, population healthy, statistic mean,
  # exercise side-lying-hip-abduction, the studies that report SD and n (per_study: variants of one
  # study averaged, SD by root-mean-square, largest n); vi = SD^2 / n.
  #   cynn2006: 25.03 (SD 10.25) and 46.06 (SD 21.2) with lumbar stabilization, n 18
  #   distefano2009: 81.0 (SD 42.0), n 21
  #   mcbeth2012: 70.1 (SD 29.9) and 53.03 (SD 28.4) with hip external rotation, n 20
  list(name = "side_lying_hip_abduction", description = "repository data: side-lying hip abduction, GMed whole, healthy means",
       yi = c(mean(c(25.03, 46.06)), 81.0, mean(c(70.1, 53.03))),
       vi = c(mean(c(10.25, 21.2)^2) / 18, 42.0^2 / 21, mean(c(29.9, 28.4)^2) / 20)),
  # Same filter, exercise clamshell, the studies with SD (jang2016 reports none):
  #   distefano2009: 40.0 (SD 38.0) and 38.0 (SD 29.0), the two clam types, n 21
  #   mcbeth2012: 32.6 (SD 16.9), n 20
  list(name = "clamshell", description = "repository data: clamshell, GMed whole, healthy means with SD",
       yi = c(mean(c(40.0, 38.0)), 32.6),
       vi = c(mean(c(38.0, 29.0)^2) / 21, 16.9^2 / 20))
)

control <- list(threshold = 1e-12, tol = 1e-12, tau2.max = 1e7, maxiter = 10000)

fit <- function(yi, vi, method) {
  k <- length(yi)
  adhoc <- rma(yi, vi, method = method, test = "adhoc", control = control)
  z <- rma(yi, vi, method = method, test = "z", control = control)
  ci <- confint(z, control = list(tau2.max = 1e7, tol = 1e-12))$random
  out <- list(estimate = c(z$beta), se = z$se, se_hksj = adhoc$se, ci_lb = adhoc$ci.lb, ci_ub = adhoc$ci.ub,
              wald_ci_lb = z$ci.lb, wald_ci_ub = z$ci.ub,
              tau2 = z$tau2, tau2_ci_lb = ci["tau^2", "ci.lb"], tau2_ci_ub = ci["tau^2", "ci.ub"],
              I2 = z$I2 / 100, H2 = z$H2, Q = z$QE, Q_p = z$QEp, pi_lb = NA, pi_ub = NA)
  stopifnot(all.equal(c(adhoc$beta), c(z$beta), tolerance = 1e-12))
  if (k >= 3) {
    pred <- predict(z, pi.type = "riley")
    half <- qt(0.975, k - 2) * sqrt(z$tau2 + z$se^2)
    stopifnot(pred$pi.ddf == k - 2,
              isTRUE(all.equal(c(pred$pi.lb, pred$pi.ub), c(z$beta) + c(-half, half), tolerance = 1e-12)))
    out$pi_lb <- pred$pi.lb
    out$pi_ub <- pred$pi.ub
  }
  out
}

result <- list(
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  script = "scripts/metafor_reference.R",
  control = control,
  groups = lapply(groups, function(g) {
    c(g, list(results = sapply(c("REML", "PM", "DL"), function(m) fit(g$yi, g$vi, m), simplify = FALSE)))
  })
)

cat(toJSON(result, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE), "\n")
