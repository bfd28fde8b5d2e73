"""Backbone registry: name -> Backbone subclass, built from a preset plus overrides."""

import inspect

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


def check_backbone_args(backbone, args):
    """ValueError naming the keys of `args` that no constructor of `backbone` (a registered name) takes, and the
    arguments it does take (its own and those of the classes it extends, up to the Keras layer)."""
    accepted = set()
    for cls in backbone_class(backbone).__mro__:
        if cls is keras.layers.Layer:
            break
        if "__init__" in vars(cls):
            accepted.update(name for name, parameter in inspect.signature(cls.__init__).parameters.items()
                            if name != "self" and parameter.kind is parameter.POSITIONAL_OR_KEYWORD)
    unknown = sorted(set(args) - accepted)
    if unknown:
        raise ValueError(f"backbone {backbone!r} takes no argument {', '.join(unknown)}; its arguments are "
                         f"{', '.join(sorted(accepted))}")


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
    except (TypeError, ValueError) as error:  # an unknown key, or a value of the wrong type (e.g. k="ten")
        raise ValueError(f"bad arguments {kwargs} for backbone {backbone!r}: {error}") from None
