"""hpc_benchmark's external drive alone, in NEST 3.10: 500 iaf_psc_alpha neurons
with the benchmark's parameters, V_m(0) = 5.7 mV, each driven by its own Poisson
train of 20856.04 Hz (one poisson_generator, all_to_all) of weight JE_pA = 45.6096
pA and delay 1.5 ms, no recurrent connections; prints the mean rate over
1050 ms. Recorded for crates/spikeflow/tests/nest_hpc_drive.rs (103.404 Hz with
rng_seed 1). Run with the peer venv's python.
"""
import nest, numpy as np
nest.set_verbosity("M_ERROR")
nest.ResetKernel(); nest.resolution=0.1; nest.rng_seed=1
tau_syn=0.32582722403722841
p={"E_L":0.0,"C_m":250.0,"tau_m":10.0,"t_ref":0.5,"V_th":20.0,"V_reset":0.0,"tau_syn_ex":tau_syn,"tau_syn_in":tau_syn,"V_m":5.7}
N=500
E=nest.Create("iaf_psc_alpha",N,params=p)
g=nest.Create("poisson_generator",1,{"rate":20856.037200898867})
nest.Connect(g,E,"all_to_all",{"weight":45.609600316540956,"delay":1.5})
r=nest.Create("spike_recorder"); nest.Connect(E,r)
nest.Simulate(1050.0)
print("NEST drive-only rate", r.n_events/N/1.05)
