"""The sequence classifier's picture: a bit stream, its classes and the predicted ones."""


def pictures(model, inputs, targets, folder):
    """`classes.png` of the batch's first sequence."""
    from aezoo import drawing

    predicted = model.predict_on_batch(inputs[:1])[0]
    return [drawing.classes_plot(inputs[0], targets[0], predicted, folder / "classes.png")]
