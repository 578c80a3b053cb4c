"""Keras's ready-made image models (``keras.applications``): the architectures with Keras's
layer names, so that summaries read the same and Keras's weight files load into them.

Each builder returns a Functional ``Model`` (channels-last); ``weights="imagenet"`` fetches
Keras's published file into the Keras cache, ``weights=None`` leaves the model untrained.
Each family's module has its ``preprocess_input`` and ``decode_predictions``.
"""

from torchseq.applications import (
    convnext,
    densenet,
    efficientnet,
    efficientnet_v2,
    imagenet_utils,
    inception_resnet_v2,
    inception_v3,
    mobilenet,
    mobilenet_v2,
    mobilenet_v3,
    nasnet,
    resnet,
    resnet50,
    resnet_v2,
    vgg16,
    vgg19,
    xception,
)
from torchseq.applications.convnext import (
    ConvNeXtBase,
    ConvNeXtLarge,
    ConvNeXtSmall,
    ConvNeXtTiny,
    ConvNeXtXLarge,
)
from torchseq.applications.densenet import DenseNet121, DenseNet169, DenseNet201
from torchseq.applications.efficientnet import (
    EfficientNetB0,
    EfficientNetB1,
    EfficientNetB2,
    EfficientNetB3,
    EfficientNetB4,
    EfficientNetB5,
    EfficientNetB6,
    EfficientNetB7,
)
from torchseq.applications.efficientnet_v2 import (
    EfficientNetV2B0,
    EfficientNetV2B1,
    EfficientNetV2B2,
    EfficientNetV2B3,
    EfficientNetV2L,
    EfficientNetV2M,
    EfficientNetV2S,
)
from torchseq.applications.inception_resnet_v2 import InceptionResNetV2
from torchseq.applications.inception_v3 import InceptionV3
from torchseq.applications.mobilenet import MobileNet
from torchseq.applications.mobilenet_v2 import MobileNetV2
from torchseq.applications.mobilenet_v3 import MobileNetV3Large, MobileNetV3Small
from torchseq.applications.nasnet import NASNetLarge, NASNetMobile
from torchseq.applications.resnet import ResNet50, ResNet101, ResNet152
from torchseq.applications.resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from torchseq.applications.vgg import VGG16, VGG19
from torchseq.applications.xception import Xception

__all__ = [
    "VGG16",
    "VGG19",
    "ConvNeXtBase",
    "ConvNeXtLarge",
    "ConvNeXtSmall",
    "ConvNeXtTiny",
    "ConvNeXtXLarge",
    "DenseNet121",
    "DenseNet169",
    "DenseNet201",
    "EfficientNetB0",
    "EfficientNetB1",
    "EfficientNetB2",
    "EfficientNetB3",
    "EfficientNetB4",
    "EfficientNetB5",
    "EfficientNetB6",
    "EfficientNetB7",
    "EfficientNetV2B0",
    "EfficientNetV2B1",
    "EfficientNetV2B2",
    "EfficientNetV2B3",
    "EfficientNetV2L",
    "EfficientNetV2M",
    "EfficientNetV2S",
    "InceptionResNetV2",
    "InceptionV3",
    "MobileNet",
    "MobileNetV2",
    "MobileNetV3Large",
    "MobileNetV3Small",
    "NASNetLarge",
    "NASNetMobile",
    "ResNet50",
    "ResNet50V2",
    "ResNet101",
    "ResNet101V2",
    "ResNet152",
    "ResNet152V2",
    "Xception",
    "convnext",
    "densenet",
    "efficientnet",
    "efficientnet_v2",
    "imagenet_utils",
    "inception_resnet_v2",
    "inception_v3",
    "mobilenet",
    "mobilenet_v2",
    "mobilenet_v3",
    "nasnet",
    "resnet",
    "resnet50",
    "resnet_v2",
    "vgg16",
    "vgg19",
    "xception",
]
