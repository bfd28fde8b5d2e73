"""Backbone registry: name -> Backbone subclass, built from a preset plus overrides."""

import inspect

import keras

_BACKBONES = {}


def register_backbone(name):
    """Class decorator: makes a Backbone buildable by `name` and serialisable in `.keras` files.

    Args:
        name: str, the registered name.

    Returns:
        The decorator, which returns the class unchanged.

    Raises:
        ValueError: (when decorating) a name that is already registered.
    """

    def decorate(cls):
        if name in _BACKBONES:
            raise ValueError(f"backbone name {name!r} is registered twice")
        _BACKBONES[name] = keras.saving.register_keras_serializable(package="dcglr_tf")(cls)
        return cls

    return decorate


def backbone_names():
    """Sorted names of the registered backbones.

    Returns:
        List of str.
    """
    return sorted(_BACKBONES)


def backbone_class(name):
    """The Backbone subclass registered as `name`.

    Args:
        name: str, a registered name.

    Returns:
        The class.

    Raises:
        ValueError: an unknown name (listing the registered ones).
    """
    if name not in _BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; choose one of: {', '.join(backbone_names())}")
    return _BACKBONES[name]


def check_backbone_args(backbone, args):
    """Checks that every key of `args` is a constructor argument of `backbone`.

    The accepted arguments are those of its own constructor and of the classes it extends, up to the Keras layer.

    Args:
        backbone: str, a registered name.
        args: dict (or any iterable of keys) of constructor arguments.

    Raises:
        ValueError: naming the keys no constructor takes and the arguments that are taken, or an unknown backbone.
    """
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
    """Constructor arguments of `backbone` for `preset`, with `overrides` applied.

    Args:
        backbone: str, a registered name.
        preset: str, a key of the class's `presets`.
        **overrides: constructor arguments that replace or add to the preset's.

    Returns:
        Dict of constructor arguments.

    Raises:
        ValueError: an unknown backbone or preset.
    """
    cls = backbone_class(backbone)
    if preset not in cls.presets:
        raise ValueError(
            f"backbone {backbone!r} has no preset {preset!r}; presets: {', '.join(sorted(cls.presets))}"
        )
    kwargs = dict(cls.presets[preset])
    kwargs.update(overrides)
    return kwargs


def build_backbone(backbone, preset="paper", **overrides):
    """A new, unbuilt Backbone of registered name `backbone`.

    Args:
        backbone: str, a registered name.
        preset: str, a key of the class's `presets`.
        **overrides: constructor arguments that update the preset's (may include the layer `name`).

    Returns:
        `Backbone`.

    Raises:
        ValueError: an unknown backbone or preset, or arguments the constructor rejects (an unknown key or a value of
            the wrong type), naming them.
    """
    cls = backbone_class(backbone)
    kwargs = backbone_kwargs(backbone, preset, **overrides)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as error:  # an unknown key, or a value of the wrong type (e.g. k="ten")
        raise ValueError(f"bad arguments {kwargs} for backbone {backbone!r}: {error}") from None
