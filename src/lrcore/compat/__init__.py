"""Porting: native schedules of torch, Keras, optax and transformers as lrcore schedules."""
