# Reference results from R metafor for glutedata.stats.network.network_gls.
#
#   Rscript scripts/network_reference.R > tests/fixtures/metafor-network-senn2013.json
#
# Data: dat.senn2013 (package metadat), 26 trials of glucose-lowering agents, 53 arms, 10 treatments,
# one three-arm trial (Willms 1999); outcome HbA1c, mean differences (MD). This is the contrast-based
# network meta-analysis of the help page ?dat.senn2013 (Examples), with placebo as the reference:
#   to.wide(ref = "placebo") makes one contrast per non-baseline arm against a baseline arm per study
#   escalc(measure = "MD") gives yi = m1 - m2 and vi = sd1^2 / n1 + sd2^2 / n2
#   V: contrasts of a multi-arm study share the baseline arm, so they covary by sd2^2 / n2
#   common effect:   rma.mv(yi, V, mods = ~ <9 treatments> - 1)                 (no random effects)
#   random effects:  rma.mv(yi, V, mods = ~ <9 treatments> - 1, random = ~ comp | study, rho = 1/2,
#                           method = "REML")
#                    one tau^2 for every comparison and tau^2 / 2 between two contrasts of a study
# Recorded per fit: each basic contrast (treatment - placebo) estimate and se, tau2 (0 for the common
# effect), the restricted log-likelihood (metafor's, including its 1/2 log|X'X| term), QE and its df.
# The arm-level data (baseline arm of each study first) and the contrasts are recorded so that a test
# can rebuild the same input without R. nlminb's relative tolerance is set to 1e-12 (default 1e-10;
# 1e-13 fails to converge); the REML tau^2 is then within ~3e-9 (relative) of the exact maximum.

suppressPackageStartupMessages({
  library(metafor)
  library(metadat)
  library(jsonlite)
})

invisible(Sys.setlocale("LC_COLLATE", "C"))  # study order (split, order) must not depend on the locale
ref <- "placebo"
arms <- dat.senn2013[c("study", "treatment", "mi", "sdi", "ni")]
wide <- to.wide(dat.senn2013[c(1, 4:2, 5:6)], study = "study", grp = "treatment", ref = ref, grpvars = 4:6)
wide <- escalc(measure = "MD", m1i = mi.1, sd1i = sdi.1, n1i = ni.1, m2i = mi.2, sd2i = sdi.2, n2i = ni.2,
               data = wide)
calc_v <- function(x) {
  v <- matrix(x$sdi.2[1]^2 / x$ni.2[1], nrow = nrow(x), ncol = nrow(x))
  diag(v) <- x$vi
  v
}
V <- bldiag(lapply(split(wide, wide$study), calc_v))
wide <- wide[order(wide$study), ]  # the row order of V (split() sorts by study)
treatments <- sort(setdiff(unique(arms$treatment), ref))
wide <- contrmat(wide, grp1 = "treatment.1", grp2 = "treatment.2")
mods <- as.formula(paste("~", paste(treatments, collapse = " + "), "- 1"))
control <- list(rel.tol = 1e-12, iter.max = 10000, eval.max = 10000)

# bquote() inlines the formula and controls, so that the recorded calls are the full commands
fe <- eval(bquote(rma.mv(yi, V, mods = .(mods), data = wide, control = .(control))))
re <- eval(bquote(rma.mv(yi, V, mods = .(mods), random = ~ comp | study, rho = 1/2, method = "REML",
                         data = wide, control = .(control))))
stopifnot(re$rho == 0.5, length(re$tau2) == 1, all(rownames(re$beta) == treatments))

summarise <- function(fit, call) {
  list(call = call, estimate = setNames(as.list(c(fit$beta)), treatments),
       se = setNames(as.list(fit$se), treatments),
       tau2 = if (fit$withG) fit$tau2 else 0, logLik_REML = as.numeric(logLik(fit, REML = TRUE)),
       QE = fit$QE, QE_df = fit$k - fit$p)
}

# Baseline arm of each study first: network_gls contrasts every arm against its study's first arm,
# so the Python contrasts are those of `contrasts` below (with rho = 1/2 the estimates would not
# depend on the baseline, but this way the intermediate quantities match too).
baseline <- setNames(wide$treatment.2, wide$study)
arms$baseline <- arms$treatment == baseline[arms$study]
arms <- arms[order(arms$study, !arms$baseline), ]
rownames(arms) <- NULL

result <- list(
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  metadat_version = as.character(packageVersion("metadat")),
  script = "scripts/network_reference.R",
  data = "dat.senn2013",
  measure = "MD",
  reference = ref,
  treatments = treatments,
  control = control,
  arms = arms,
  contrasts = data.frame(study = wide$study, treatment = wide$treatment.1, baseline = wide$treatment.2,
                         yi = c(wide$yi), vi = c(wide$vi)),
  fits = list(
    fixed = summarise(fe, paste(deparse(fe$call, width.cutoff = 500L), collapse = " ")),
    reml = summarise(re, paste(deparse(re$call, width.cutoff = 500L), collapse = " "))
  )
)

cat(toJSON(result, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE, dataframe = "rows"), "\n")
