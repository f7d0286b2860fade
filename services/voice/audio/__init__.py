"""Audio decoding, streaming decoders and encoders for the voice service."""
