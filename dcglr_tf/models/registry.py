"""Backbone registry: name -> Backbone subclass, built from a preset plus overrides."""

import keras

_BACKBONES = {}


def register_backbone(name):
    """Class decorator: make a Backbone buildable by `name` and serialisable in `.keras` files."""

    def decorate(cls):
        if name in _BACKBONES:
            raise ValueError(f"backbone name {name!r} is registered twice")
        _BACKBONES[name] = keras.saving.register_keras_serializable(package="dcglr_tf")(cls)
        return cls

    return decorate


def backbone_names():
    """Sorted names of the registered backbones."""
    return sorted(_BACKBONES)


def backbone_class(name):
    if name not in _BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; choose one of: {', '.join(backbone_names())}")
    return _BACKBONES[name]


def backbone_kwargs(backbone, preset="paper", **overrides):
    """Constructor arguments of `backbone` (a registered name) for `preset`, with `overrides` applied."""
    cls = backbone_class(backbone)
    if preset not in cls.presets:
        raise ValueError(
            f"backbone {backbone!r} has no preset {preset!r}; presets: {', '.join(sorted(cls.presets))}"
        )
    kwargs = dict(cls.presets[preset])
    kwargs.update(overrides)
    return kwargs


def build_backbone(backbone, preset="paper", **overrides):
    """A new, unbuilt Backbone of registered name `backbone`, with the arguments of `preset` updated by
    `overrides` (which may include the layer `name`)."""
    cls = backbone_class(backbone)
    kwargs = backbone_kwargs(backbone, preset, **overrides)
    try:
        return cls(**kwargs)
    except TypeError as error:
        raise ValueError(f"bad arguments {kwargs} for backbone {backbone!r}: {error}") from None
