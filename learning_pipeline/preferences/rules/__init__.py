"""One module per pair domain: what its texts are (`sightings`, for the split) and its rule (`pairs`)."""
