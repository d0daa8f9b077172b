// Training text for the synthetic InternLM2 tokenizer.model (tools/checkpoint/sentencepiece_files.ts): mixed
// English, Chinese, code, numbers and emoji, one sentence per line, written for this purpose. It only has to
// give a BPE vocabulary that real prompts exercise (merges across Latin and Han text, byte fallback for what
// it lacks); changing it changes the synthetic vocabulary.

export const SENTENCEPIECE_CORPUS = `
你是由上海人工智能实验室联合商汤科技开发的书生多模态大模型，英文名叫InternVL, 是一个有用无害的人工智能助手。
请描述这张图片。
请详细描述这张图片的内容。
这张图片里有什么？
图片中有一只猫坐在窗台上，窗外是蓝色的天空。
图中有两个人在公园里散步，旁边有一棵大树。
这是一张城市街道的照片，街上有很多汽车和行人。
我们今天去北京的博物馆参观，看到了很多古代的文物。
上海是中国最大的城市之一，也是重要的经济中心。
人工智能正在改变我们的生活和工作方式。
模型可以理解图像和文本，并回答用户的问题。
请用中文回答下面的问题。
他说：“你好，很高兴认识你！”
第一张图片和第二张图片有什么相同点和不同点？
这个视频讲述了一个关于友谊的故事。
天气很好，我们一起去爬山吧。
学习编程需要耐心和练习。
Describe the image.
Describe the image in detail.
Please describe the image shortly.
What is in this picture?
What are the similarities and differences between these two images?
Image-1: <image>
Image-2: <image>
Hello, who are you?
Can you tell me a story?
I am an AI assistant whose name is InternVL.
The cat is sitting on the windowsill, looking at the blue sky outside.
Two people are walking in the park next to a large tree.
This is a photo of a city street with many cars and pedestrians.
The red panda is eating bamboo leaves in the forest.
There is a dog running on the beach near the ocean.
A man is riding a bicycle down a quiet road at sunset.
The kitchen has a wooden table, four chairs and a window.
She is reading a book in the library while it rains outside.
The mountains in the background are covered with snow.
The answer is 42, and the temperature today is 23.5 degrees.
In 2024, the model was trained on 1,000,000 images and 3.5 billion tokens.
Call 555-0123 before 9:30 am on Monday, March 3rd.
The quick brown fox jumps over the lazy dog.
A picture is worth a thousand words.
Let me think about this step by step.
First, look at the left side of the image; then, look at the right side.
The object in the red box is a traffic light.
Please answer the question with a single word or phrase.
Summarize the video in three sentences.
The weather is nice today, so let us go hiking together.
Learning to program takes patience and practice.
def describe(image, question):
    pixel_values = load_image(image, max_num=12)
    response = model.chat(tokenizer, pixel_values, question, generation_config)
    return response
for i in range(10):
    print(f"step {i}: loss = {loss:.4f}")
import torch
from transformers import AutoModel, AutoTokenizer
tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=True, use_fast=False)
const model = await InternVL.load('OpenGVLab/InternVL2-2B');
const r = await model.chat({ question: 'Describe the image.', images: [image] });
function add(a, b) { return a + b; }
if (x > 0 && y < 10) { console.log("ok"); } else { throw new Error("bad"); }
SELECT name, age FROM users WHERE age >= 18 ORDER BY name;
{"role": "user", "content": "Hello!"}
git commit -m "fix the tokenizer"
npm run build && npm test
The café serves crème brûlée and a naïve piña colada.
Schöne Grüße aus München, über die Straße.
Je pense, donc je suis.
I love this! 😀👍🎉
The robot 🤖 waves at the camera 📷.
Great job! ✨🔥❤️
东京、ソウル和纽约都是大城市。
数学公式：E = mc²，圆的面积是 πr²。
价格是 ¥128.00，折扣后是 ¥99.90。
请在 2024 年 3 月 15 日之前提交报告。
用户：今天天气怎么样？
助手：今天是晴天，气温二十五度。
这段代码的作用是计算两个数的和。
书生是一个开源的多模态大模型。
模型的输入包括图像和文本两部分。
`.trim();
