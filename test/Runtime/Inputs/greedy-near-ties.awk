# One attn-run --trace log ("trace: step I token T margin M second S" lines)
# against an expected greedy token sequence (-v expect="t0 t1 ..."). The
# runs may part only at a near tie: where this run's best logit beats the
# runner-up by less than -v tie (logits), and the runner-up is the expected
# token. Past that step the continuation depends on the tie, so it is not
# compared. Summation order differs between CPUs (AVX2 against AVX-512), so
# a greedy text is only as portable as its smallest margin.
BEGIN { n = split(expect, want, " "); verdict = "same tokens" }
$1 == "trace:" && $2 == "step" {
  i = $3 + 1; steps++
  if (parted || i > n) next
  if ($5 == want[i]) { same++; next }
  parted = 1
  if ($7 < tie && $9 == want[i])
    verdict = sprintf("parted at step %d at a near tie (margin %s < %s)", $3, $7, tie)
  else
    verdict = sprintf("parted at step %d: token %s, expected %s, margin %s (not a near tie)", $3, $5, want[i], $7)
}
END { printf "steps %d, same %d, %s\n", steps, same, verdict }
