//! The problem process's built-in notification templates (editable data once seeded).

pub const TEMPLATES: &[(&str, &str, &str, &str)] = &[
    (
        "problem.created",
        "zh-CN",
        "【{{ payload.number }}】新的问题：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 创建了问题 {{ payload.number }}「{{ payload.title }}」，您是负责人。\n查看：{{ public_url }}{{ payload.path }}\n",
    ),
    (
        "problem.created",
        "en",
        "[{{ payload.number }}] New problem: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} opened problem {{ payload.number }} \"{{ payload.title }}\" at {{ time }}; you are its owner.\nOpen: {{ public_url }}{{ payload.path }}\n",
    ),
    (
        "problem.commented",
        "zh-CN",
        "【{{ payload.number }}】问题有新的备注：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 在问题 {{ payload.number }}「{{ payload.title }}」上留言。\n查看：{{ public_url }}{{ payload.path }}\n",
    ),
    (
        "problem.commented",
        "en",
        "[{{ payload.number }}] New note on problem: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} wrote on problem {{ payload.number }} \"{{ payload.title }}\" at {{ time }}.\nOpen: {{ public_url }}{{ payload.path }}\n",
    ),
    (
        "problem.state_changed",
        "zh-CN",
        "【{{ payload.number }}】问题状态更新：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 更新了问题 {{ payload.number }}「{{ payload.title }}」的状态。\n查看：{{ public_url }}{{ payload.path }}\n",
    ),
    (
        "problem.state_changed",
        "en",
        "[{{ payload.number }}] Problem moved: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} moved problem {{ payload.number }} \"{{ payload.title }}\" on at {{ time }}.\nOpen: {{ public_url }}{{ payload.path }}\n",
    ),
    (
        "problem.updated",
        "zh-CN",
        "【{{ payload.number }}】问题交由您处理：{{ payload.title }}",
        "{{ user.display_name }}，您好：\n\n{{ actor }} 于 {{ time }} 将问题 {{ payload.number }}「{{ payload.title }}」{% if payload.measure %}的解决措施「{{ payload.measure }}」{% endif %}交由您负责。\n查看：{{ public_url }}{{ payload.path }}\n",
    ),
    (
        "problem.updated",
        "en",
        "[{{ payload.number }}] Problem for you: {{ payload.title }}",
        "Hello {{ user.display_name }},\n\n{{ actor }} made you responsible for {% if payload.measure %}the measure \"{{ payload.measure }}\" of {% endif %}problem {{ payload.number }} \"{{ payload.title }}\" at {{ time }}.\nOpen: {{ public_url }}{{ payload.path }}\n",
    ),
];
