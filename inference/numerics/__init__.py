"""The fastest safe numerics of a model version on a device.

`policy` (no torch: web processes queue a verification and read records),
`devices` (which device, and what it can do), `compare` (how far a variant's
outputs are from fp32's) and `verify` (the timing and the choice, in workers).
"""
