# Two attn-run --trace logs side by side (paste A B of their "trace: step"
# lines): the steps, the steps whose tokens differ, and whether every
# step's margin (best logit over the runner-up) agrees within 1e-4 (a NaN
# margin does not).
{
  d = $7 - $16
  if (d < 0) d = -d
  if (!(d <= 1e-4)) bad++
  if ($5 != $14) t++
}
END { printf "steps %d, tokens differing %d, margins within 1e-4: %s\n", NR, t, bad ? "no" : "yes" }
