"""Side panels of the job window: the frame's objects, labels, attributes of the selection."""
